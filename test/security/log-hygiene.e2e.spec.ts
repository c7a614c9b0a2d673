/**
 * Logs: the real server process, its stdout and stderr captured, serves real traffic (speech in several formats and
 * as SSE, transcriptions and translations through the probe plugin, auth failures, rate-limit refusals, bad
 * requests, a corrupt, an oversized and an abandoned upload). Then the captured output is scanned for every key, text,
 * prompt, transcript and audio byte used: none may appear; and the process's temp dir must still be empty (uploads
 * are held in memory and decoded in WebAssembly memory, so nothing is ever written to disk). Also: JSON lines with
 * the request id, the open-server warning, and LOG_CONTENT=true.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import OpenAI, { toFile } from 'openai';
import { LogCapture } from '../utils/log-capture';
import { ServerProcess } from '../utils/server-process';
import { tone } from '../utils/signal';
import { encodeTestInput } from '../utils/test-audio';
import { FIXTURE_PLUGINS, startTestServer } from '../utils/test-server';

const KEY = 'sk-logcanary-KEY-7d1f0e9a2b3c';
const WRONG_KEY = 'sk-logcanary-WRONG-5e6f7a8b9c0d';
const INPUT = 'Logcanary input text: the heron flies at midnight';
const INSTRUCTIONS = 'Logcanary instructions: whisper like a librarian';
const PROMPT = 'Logcanary prompt about glaciers';
const FAILED_INPUT = 'Logcanary text of a refused request';

describe('a server process under real traffic', () => {
  let server: ServerProcess;
  let tempDir: string;
  let cacheDir: string;
  const secrets: Record<string, string> = { KEY, WRONG_KEY, INPUT, INSTRUCTIONS, PROMPT, FAILED_INPUT };
  const requestIds: string[] = [];

  beforeAll(async () => {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-server-tmp-'));
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-audio-cache-'));
    server = await ServerProcess.start({
      // The audio cache on: its keys are hashes of the input text, and stay out of the log as well.
      AUDIO_CACHE_DIR: cacheDir,
      // Whatever the server (or a library under it) would write to os.tmpdir() lands here, where the test looks.
      TMPDIR: tempDir,
      MAX_UPLOAD_BYTES: String(512 * 1024),
      API_KEYS: KEY,
      LOG_LEVEL: 'debug',
      PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`,
      RATE_LIMIT_SPEECH: '8/1m',
    });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const remember = (id: string | null | undefined) => id && requestIds.push(id);

    for (const response_format of ['mp3', 'wav', 'opus'] as const) {
      const { response } = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: INPUT, instructions: INSTRUCTIONS, response_format }).withResponse();
      await response.arrayBuffer();
      remember(response.headers.get('x-request-id'));
    }
    const sse = await client.audio.speech.create({ model: 'tts-1', voice: 'nova', input: INPUT, stream_format: 'sse' });
    const sseText = await sse.text();
    // A slice of the streamed audio, as base64, must not reach the log either.
    secrets.SSE_AUDIO = /"audio":"([A-Za-z0-9+/]{40})/.exec(sseText)?.[1] ?? 'missing-sse-audio';

    const wav = await encodeTestInput('wav', { samples: tone(523, 1, 16_000), sampleRate: 16_000 });
    secrets.UPLOAD_BASE64 = Buffer.from(wav.subarray(200, 230)).toString('base64');
    secrets.UPLOAD_HEX = Buffer.from(wav.subarray(200, 216)).toString('hex');
    const transcript = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wav, 'canary.wav'), prompt: PROMPT });
    expect(transcript.text).toContain(PROMPT);
    secrets.TRANSCRIPT = transcript.text;
    const verbose = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wav, 'canary.wav'), prompt: PROMPT, response_format: 'verbose_json' });
    secrets.SEGMENT = verbose.segments?.[0]?.text ?? 'missing-segment';
    const stream = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wav, 'canary.wav'), prompt: PROMPT, stream: true });
    for await (const event of stream) void event;
    const translation = await client.audio.translations.create({ model: 'whisper-1', file: await toFile(wav, 'canary.wav'), prompt: PROMPT });
    expect(translation.text).toContain(PROMPT);

    // Uploads that fail: not audio, too large, and one abandoned half-way through its body.
    const corrupt = await client.audio.transcriptions
      .create({ model: 'whisper-1', file: await toFile(Buffer.concat([Buffer.from(wav.subarray(0, 44)), Buffer.alloc(3000, 0x5a)]), 'corrupt.wav') })
      .catch((error: unknown) => error);
    expect((corrupt as { status?: number }).status).toBe(400);
    const oversized = await client.audio.transcriptions
      .create({ model: 'whisper-1', file: await toFile(new Uint8Array(600 * 1024), 'big.wav') })
      .catch((error: unknown) => error);
    expect((oversized as { status?: number }).status).toBe(413);
    await abandonUpload(server.url, KEY, wav);

    // Refusals: a wrong key, no key, a key in a Basic header, a bad request carrying text, the speech rate limit.
    const wrong = await fetch(`${server.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRONG_KEY}`, 'content-type': 'application/json', 'x-request-id': 'trace-wrong-key' },
      body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: INPUT }),
    });
    expect(wrong.status).toBe(401);
    requestIds.push('trace-wrong-key');
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/models`, { headers: { authorization: `Basic ${Buffer.from(`:${KEY}`).toString('base64')}` } })).status).toBe(401);
    secrets.BASIC = Buffer.from(`:${KEY}`).toString('base64');
    const bad = await fetch(`${server.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'no-such-voice', input: FAILED_INPUT, speed: 99 }),
    });
    expect(bad.status).toBe(400);
    let limited = 0;
    for (let i = 0; i < 12 && limited === 0; i++) {
      const response = await fetch(`${server.url}/v1/audio/speech`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: INPUT, response_format: 'pcm' }),
      });
      await response.arrayBuffer();
      if (response.status === 429) limited++;
    }
    expect(limited).toBe(1);
    // Repeated requests were answered from the cache; a key (or a prefix of one) must not reach the log.
    const entries = fs.readdirSync(cacheDir).filter((name) => /^[0-9a-f]{64}$/.test(name));
    expect(entries.length).toBeGreaterThan(0);
    entries.forEach((name, index) => (secrets[`CACHE_KEY_${index}`] = name.slice(0, 12)));
    expect(await server.stop()).toBe(0);
  });

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(tempDir, { recursive: true, force: true });
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('leaves nothing in its temp dir: uploads never touch the disk', () => {
    expect(fs.readdirSync(tempDir, { recursive: true })).toEqual([]);
  });

  it('never writes a key, text, prompt, transcript or audio byte to stdout or stderr', () => {
    const output = `${server.stdout}\n${server.stderr}`;
    expect(output.length).toBeGreaterThan(1000);
    for (const [name, secret] of Object.entries(secrets)) {
      expect({ name, leaked: output.includes(secret) }).toEqual({ name, leaked: false });
    }
    // Nor the tell-tale fragments: the Authorization header, or the distinctive words of the texts.
    expect(output).not.toMatch(/authorization/i);
    expect(output).not.toMatch(/logcanary|heron|librarian|glaciers/i);
  });

  it('writes only JSON lines, stderr staying empty', () => {
    expect(server.stderr).toBe('');
    expect(server.lines().length).toBeGreaterThan(10);
  });

  it('gives every request line and every line logged while serving it the request id', () => {
    const lines = server.lines();
    const requestLines = lines.filter((line) => line.req);
    expect(requestLines.length).toBeGreaterThanOrEqual(14);
    for (const line of requestLines) expect(line.requestId).toMatch(/^[A-Za-z0-9._:-]+$/);
    for (const id of requestIds) expect(requestLines.some((line) => line.requestId === id)).toBe(true);
    // A Nest Logger call made inside the request (the auth refusal) carries the id the client saw.
    const refusal = lines.find((line) => /^Refused POST \/v1\/audio\/speech: API key not accepted/.test(String(line.msg)));
    expect(refusal).toMatchObject({ requestId: 'trace-wrong-key', level: 'warn', context: 'Auth' });
  });

  it('keeps the Nest and plugin log lines (model loads, start-up) flowing through pino', () => {
    const messages = server.lines().map((line) => String(line.msg));
    expect(messages.some((message) => /^Listening on /.test(message))).toBe(true);
    expect(messages.some((message) => /^Loaded (espeak|probe-stt) on cpu/.test(message))).toBe(true);
    expect(messages.some((message) => /eSpeak NG loaded/.test(message))).toBe(true);
  });
});

describe('in-process', () => {
  it('warns loudly at start when no API key is configured', async () => {
    const logs = new LogCapture();
    const server = await startTestServer({ LOG_LEVEL: 'info' }, { logs });
    await server.close();
    const warning = logs.matching(/NO API KEYS CONFIGURED/);
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatchObject({ level: 'warn', context: 'Security' });
  });

  it('adds request content to the request line only with LOG_CONTENT=true, and never the key', async () => {
    const key = 'sk-content-log-2b3c4d5e6f';
    for (const logContent of ['false', 'true']) {
      const logs = new LogCapture();
      const server = await startTestServer({ LOG_LEVEL: 'info', LOG_CONTENT: logContent, API_KEYS: key }, { logs });
      const response = await fetch(`${server.url}/v1/audio/speech`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: 'Content on demand', response_format: 'pcm' }),
      });
      await response.arrayBuffer();
      await server.close();
      const text = logs.lines.join('\n');
      expect(text.includes('Content on demand')).toBe(logContent === 'true');
      expect(text).not.toContain(key);
    }
  });
});

/** Sends the headers and half of a multipart upload, then drops the connection. */
async function abandonUpload(url: string, key: string, audio: Uint8Array): Promise<void> {
  const boundary = 'abandon-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  const length = head.length + audio.length + 100;
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1', () => {
      socket.write(
        `POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n`,
      );
      socket.write(head);
      socket.write(audio.subarray(0, audio.length >> 1), () => setTimeout(() => socket.destroy(), 100));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}
