/**
 * Issue 5 over HTTP: the first audio of a multi-sentence Chatterbox request reaches the client before synthesis of
 * the last sentence starts, as chunked audio and as SSE. No clock is read: each sentence of the steered fixture
 * takes 900 language-model steps, the client hangs up as soon as the first audio arrives, and the server's own
 * debug log (one line as each sentence chunk starts, numbers only) shows the last sentence never started. Had the
 * server held the audio back until the text was done, the first byte would only have come after that line.
 *
 * pcm and wav, whose encoding costs next to nothing: the fixture makes 36 s of audio a second, faster than lamejs
 * encodes mp3 on the main thread under jest (about 25× real time), so with mp3 the main thread, which also runs
 * this test's client, falls behind the model and the client reads late. Real Chatterbox on a CPU is slower than
 * real time, far behind any encoder.
 */
import '../fixtures/onnx/cross-realm-typed-arrays';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHATTERBOX_TEST_DIMS, pcm16Wav, STOP_SPEECH_TOKEN, voiceLikeClip, writeChatterboxFixture } from '../fixtures/chatterbox/generate-chatterbox';
import { LogCapture } from '../utils/log-capture';
import { startTestServer, type TestServer } from '../utils/test-server';

/** 900 speech tokens then STOP, for every sentence: hundreds of steps stand between one sentence and the next. */
const SCRIPT = [...Array.from({ length: 900 }, (_, i) => 200 + (i % 400)), STOP_SPEECH_TOKEN];
const THREE_SENTENCES = 'The first sentence is here. The second one follows it. The third one ends the text.';

let modelsDir: string;
let voicesDir: string;
let server: TestServer;
let voiceId: string;
const logs = new LogCapture();

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'chatterbox-stream-models-'));
  voicesDir = await mkdtemp(join(tmpdir(), 'chatterbox-stream-voices-'));
  await writeChatterboxFixture(join(modelsDir, 'chatterbox-turbo'), { variant: 'turbo', dims: CHATTERBOX_TEST_DIMS, seed: 5, script: { tokens: SCRIPT } });
  // One worker: a request queued behind the abandoned one is answered only once that one has stopped.
  server = await startTestServer({ MODELS_DIR: modelsDir, VOICES_DIR: voicesDir, PRELOAD_MODELS: '', WORKERS_PER_DEVICE: '1', LOG_LEVEL: 'debug' }, { logs });
  const form = new FormData();
  form.append('name', 'Streamer');
  form.append('consent', 'cons_test');
  form.append('audio_sample', new Blob([new Uint8Array(pcm16Wav(voiceLikeClip(6, 3)))], { type: 'audio/wav' }), 'reference.wav');
  voiceId = ((await server.client.post('/audio/voices', { body: form })) as { id: string }).id;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await rm(modelsDir, { recursive: true, force: true });
  await rm(voicesDir, { recursive: true, force: true });
});

/** The sentence chunks the server has started so far for requests of `of` chunks, in order. */
function chunksStarted(of: number): number[] {
  return logs
    .matching(/Chatterbox sentence chunk started/)
    .map((entry) => JSON.parse(/\{.*\}$/.exec(String(entry.msg))![0]) as { chunk: number; of: number })
    .filter((fields) => fields.of === of)
    .map((fields) => fields.chunk);
}

function speak(input: string, extra: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chatterbox-turbo', voice: { id: voiceId }, input, ...extra }),
    signal,
  });
}

/** Reads the body until its first audio: raw bytes, or for SSE the first `speech.audio.delta` event with audio. */
async function readUntilFirstAudio(reader: ReadableStreamDefaultReader<Uint8Array>, sse: boolean): Promise<number> {
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('the body ended before any audio');
    if (!sse) {
      if (value.length > 0) return value.length;
      continue;
    }
    text += Buffer.from(value).toString('utf8');
    for (const frame of text.split('\n\n').slice(0, -1)) {
      const event = JSON.parse(frame.replace(/^data: /, '')) as { type: string; audio?: string };
      if (event.type === 'speech.audio.delta' && event.audio) return Buffer.from(event.audio, 'base64').length;
    }
  }
}

/** Waits until the single worker is free again: a one-sentence request queued behind the abandoned one completes. */
async function workerFreed(): Promise<void> {
  const next = await speak('Done now.', { response_format: 'pcm' });
  expect(next.status).toBe(200);
  expect((await next.arrayBuffer()).byteLength).toBeGreaterThan(0);
}

const STREAMS: Array<[string, Record<string, unknown>, boolean]> = [
  ['chunked pcm', { response_format: 'pcm' }, false],
  ['chunked wav', { response_format: 'wav' }, false],
  ['SSE', { response_format: 'pcm', stream_format: 'sse' }, true],
];

it.each(STREAMS)('%s: the first audio arrives before the last sentence starts; hanging up then stops the worker before it', async (_name, extra, sse) => {
  const before = chunksStarted(3).length;
  const controller = new AbortController();
  const response = await speak(THREE_SENTENCES, extra, controller.signal);
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  expect(await readUntilFirstAudio(reader, sse)).toBeGreaterThan(0);
  controller.abort();
  await reader.cancel().catch(() => undefined);
  await workerFreed();
  // The abandoned request got as far as its first sentence or two, never to the third.
  const started = chunksStarted(3).slice(before);
  expect(started[0]).toBe(1);
  expect(started).not.toContain(3);
}, 120_000);

it('the same text, read to the end, starts all three sentences in order: the log line is there when a sentence is reached', async () => {
  const before = chunksStarted(3).length;
  const response = await speak(THREE_SENTENCES, { response_format: 'pcm' });
  const reader = response.body!.getReader();
  await readUntilFirstAudio(reader, false);
  const startedAtFirstAudio = chunksStarted(3).length - before;
  while (!(await reader.read()).done);
  expect(startedAtFirstAudio).toBeLessThan(3);
  expect(chunksStarted(3).slice(before)).toEqual([1, 2, 3]);
}, 120_000);
