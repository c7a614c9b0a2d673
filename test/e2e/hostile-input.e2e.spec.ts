/**
 * The input audit's regressions: hostile requests that once reached a 500 (or could pollute the process) now get a
 * clear 4xx in OpenAI's envelope, and the server keeps serving. Raw fetch, since the SDK would never send these.
 */
import { gzipSync } from 'node:zlib';
import { tone } from '../utils/signal';
import { encodeTestInput } from '../utils/test-audio';
import { FIXTURE_PLUGINS, startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

let server: TestServer;

beforeAll(async () => {
  // One decoder thread, so every bad upload lands on the same FFmpeg instance.
  server = await startTestServer({ PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`, DECODE_WORKERS: '1' });
  await waitUntilReady(server.url);
});

afterAll(() => server.close());

type ErrorFields = { message: string; type: string; param: string | null; code: string | null };

async function expectError(response: Response, status: number, code: string | null): Promise<ErrorFields> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: ErrorFields };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.code).toBe(code);
  return body.error;
}

function postSpeech(body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

const SPEECH_FIELDS = '"model":"tts-1","input":"Hi","voice":"alloy","response_format":"pcm"';

describe('JSON nesting', () => {
  it('answers 400 invalid_json for thousands of nested arrays or objects, not a stack overflow', async () => {
    const arrays = `{${SPEECH_FIELDS},"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const objects = `{${SPEECH_FIELDS},"x":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`;
    for (const body of [arrays, objects]) {
      const error = await expectError(await postSpeech(body), 400, 'invalid_json');
      expect(error.message).toMatch(/nested deeper than 32 levels/);
    }
  });

  it('still accepts an extra field nested a few levels deep', async () => {
    const response = await postSpeech(`{${SPEECH_FIELDS},"x":${'{"a":'.repeat(20)}1${'}'.repeat(20)}}`);
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });
});

describe('compressed bodies', () => {
  it.each(['gzip', 'deflate', 'br'])('answers 400 invalid_body for a %s body that does not decompress', async (encoding) => {
    const error = await expectError(await postSpeech(`{${SPEECH_FIELDS}}`, { 'content-encoding': encoding }), 400, 'invalid_body');
    expect(error.message).toMatch(/^The request body could not be read: /);
  });

  it('accepts a gzip body that does decompress', async () => {
    const response = await postSpeech(gzipSync(`{${SPEECH_FIELDS}}`), { 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
  });
});

describe('undecodable uploads', () => {
  function transcribe(bytes: Uint8Array): Promise<Response> {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([bytes]), 'upload.wav');
    return fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  }

  it('answers 400 invalid_audio to every one of many in a row, and the decoder still serves the next client', async () => {
    // A WAV signature followed by garbage: FFmpeg fails on it. The ~15th such failure on one FFmpeg instance used to
    // trap, and that request (or the next innocent one) got a 500.
    const wav = await encodeTestInput('wav', { samples: tone(440, 0.5, 16_000), sampleRate: 16_000 });
    const bad = Buffer.concat([wav.subarray(0, 12), Buffer.alloc(3000, 0x41)]);
    for (let i = 0; i < 30; i++) await expectError(await transcribe(bad), 400, 'invalid_audio');
    const good = await transcribe(wav);
    expect(good.status).toBe(200);
    expect((JSON.parse(((await good.json()) as { text: string }).text) as { samples: number }).samples).toBe(8000);
  });
});

describe('malformed multipart', () => {
  const BOUNDARY = 'hostileBoundary';
  function part(name: string, value: string | Uint8Array, filename?: string): Buffer {
    const disposition = `form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}`;
    return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n')]);
  }
  function upload(parts: Buffer[], closing = `--${BOUNDARY}--\r\n`, boundary = BOUNDARY): Promise<Response> {
    return fetch(`${server.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.concat([...parts, Buffer.from(closing)]),
    });
  }
  const wav = Buffer.from('RIFF....WAVE');

  it.each([
    ['two file parts', () => upload([part('model', 'whisper-1'), part('file', wav, 'a.wav'), part('file', wav, 'b.wav')]), 'file'],
    ['the file under another name', () => upload([part('model', 'whisper-1'), part('audio', wav, 'a.wav')]), 'file'],
    ['a field over 64 KiB', () => upload([part('model', 'whisper-1'), part('prompt', 'x'.repeat(70 * 1024))]), 'prompt'],
    ['too many fields', () => upload(Array.from({ length: 50 }, (_, i) => part(`f${i}`, 'x'))), null],
    ['no closing delimiter', () => upload([part('model', 'whisper-1')], ''), null],
    ['a boundary that is not the declared one', () => upload([part('model', 'whisper-1')], `--${BOUNDARY}--\r\n`, 'declaredButAbsent'), null],
  ])('%s → 400 invalid_multipart', async (_name, send, param) => {
    const error = await expectError(await send(), 400, 'invalid_multipart');
    expect(error.param).toBe(param);
    expect(error.message).toMatch(/^Invalid multipart\/form-data body: /);
  });

  it('answers a broken part header and a missing boundary alike', async () => {
    await expectError(await upload([Buffer.from(`--${BOUNDARY}\r\nnot a header\r\n\r\nx\r\n`)]), 400, 'invalid_multipart');
    const response = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'x' });
    await expectError(response, 400, 'invalid_multipart');
  });
});
