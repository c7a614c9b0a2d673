/**
 * POST /v1/audio/transcriptions and /translations through the official SDK. A probe plugin stands in for a
 * speech-to-text model and reports exactly what reached the backend boundary, so these tests check decoding of
 * every input format, field handling and every response format.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import OpenAI, { APIError, toFile } from 'openai';
import type { ProbeReport } from '../fixtures/plugins/probe/plugin';
import { tone } from '../utils/signal';
import { INPUT_FORMATS, encodeTestInput } from '../utils/test-audio';
import { FIXTURE_PLUGINS, startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

const PLUGIN_DIRS = `dist/plugins,${FIXTURE_PLUGINS}`;
const CLIP_SECONDS = 1.5;

let server: TestServer;
let wav: Uint8Array;

beforeAll(async () => {
  server = await startTestServer({ PLUGIN_DIRS });
  wav = await encodeTestInput('wav', { samples: tone(440, CLIP_SECONDS, 24_000), sampleRate: 24_000 });
  await waitUntilReady(server.url);
});

afterAll(() => server.close());

async function transcribeReport(file: Uploadable, extra: Partial<OpenAI.Audio.TranscriptionCreateParamsNonStreaming> = {}): Promise<ProbeReport> {
  const result = await server.client.audio.transcriptions.create({ file, model: 'whisper-1', ...extra });
  return JSON.parse(result.text) as ProbeReport;
}
type Uploadable = Parameters<typeof toFile>[0] extends infer _ ? Awaited<ReturnType<typeof toFile>> | fs.ReadStream : never;

describe.each(INPUT_FORMATS)('input format %s', (format) => {
  it('reaches the backend as 16 kHz mono audio of the right length and pitch', async () => {
    const bytes = await encodeTestInput(format, { samples: tone(440, CLIP_SECONDS, 24_000), sampleRate: 24_000 });
    const report = await transcribeReport(await toFile(bytes, `clip.${format}`));
    expect(report.seconds).toBeGreaterThan(CLIP_SECONDS - 0.06);
    expect(report.seconds).toBeLessThan(CLIP_SECONDS + 0.12);
    expect(Math.abs(report.dominantHz - 440)).toBeLessThanOrEqual(20);
    expect(report.rms).toBeGreaterThan(0.2);
  });
});

describe('transcription fields and formats', () => {
  it('detects the format from the bytes, whatever the file is called', async () => {
    const report = await transcribeReport(await toFile(wav, 'recording.mp3'));
    expect(Math.abs(report.seconds - CLIP_SECONDS)).toBeLessThan(0.05);
    const noName = await transcribeReport(await toFile(wav, 'blob'));
    expect(Math.abs(noName.seconds - CLIP_SECONDS)).toBeLessThan(0.05);
  });

  it('passes language, prompt and temperature to the backend', async () => {
    const report = await transcribeReport(await toFile(wav, 'a.wav'), { language: 'de', prompt: 'Vorher.', temperature: 0.3 });
    expect(report).toMatchObject({ task: 'transcribe', language: 'de', prompt: 'Vorher.', temperature: 0.3 });
  });

  it('answers json with text and duration usage', async () => {
    const response = await server.client.audio.transcriptions.create({ file: await toFile(wav, 'a.wav'), model: 'whisper-1' }).withResponse();
    expect(response.response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.data.usage).toEqual({ type: 'duration', seconds: 2 });
  });

  it('answers text, srt and vtt as plain strings', async () => {
    const file = () => toFile(wav, 'a.wav');
    const text = await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'text' });
    expect(typeof text).toBe('string');
    expect(text.endsWith('\n')).toBe(true);
    const srt = await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'srt' });
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:00,750\nFirst half.\n\n2\n00:00:00,750 --> 00:00:01,500\nSecond half.\n');
    const vtt = await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'vtt' });
    expect(vtt).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:00.750\nFirst half.\n\n00:00:00.750 --> 00:00:01.500\nSecond half.\n');
  });

  it('answers verbose_json with segments by default and words when asked', async () => {
    const verbose = await server.client.audio.transcriptions.create({ file: await toFile(wav, 'a.wav'), model: 'whisper-1', response_format: 'verbose_json', language: 'en' });
    expect(verbose).toMatchObject({ language: 'english', duration: expect.closeTo(CLIP_SECONDS, 1) });
    expect(verbose.segments).toHaveLength(2);
    expect(Object.keys(verbose.segments![0]).sort()).toEqual(
      ['avg_logprob', 'compression_ratio', 'end', 'id', 'no_speech_prob', 'seek', 'start', 'temperature', 'text', 'tokens'].sort(),
    );
    expect(verbose.words).toBeUndefined();

    const words = await server.client.audio.transcriptions.create({
      file: await toFile(wav, 'a.wav'),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word'],
    });
    expect(words.words!.map((word) => word.word)).toEqual(['probe', 'heard', 'audio']);
    expect(words.segments).toBeUndefined();

    const both = await server.client.audio.transcriptions.create({
      file: await toFile(wav, 'a.wav'),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(both.words).toHaveLength(3);
    expect(both.segments).toHaveLength(2);
  });

  it('rejects word timestamps without verbose_json', async () => {
    const error = await server.client.audio.transcriptions
      .create({ file: await toFile(wav, 'a.wav'), model: 'whisper-1', response_format: 'json', timestamp_granularities: ['word'] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).param).toBe('timestamp_granularities');
  });

  it('streams transcript.text.delta events, then transcript.text.done', async () => {
    const stream = await server.client.audio.transcriptions.create({ file: await toFile(wav, 'a.wav'), model: 'whisper-1', stream: true });
    const events: Array<{ type: string; delta?: string; text?: string; usage?: { type: string } }> = [];
    for await (const event of stream) events.push(event as (typeof events)[number]);
    const deltas = events.filter((event) => event.type === 'transcript.text.delta');
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    const done = events[events.length - 1];
    expect(done.type).toBe('transcript.text.done');
    expect(done.text).toBe(deltas.map((event) => event.delta).join(''));
    expect(done.usage?.type).toBe('tokens');
  });

  it('accepts a streamed (chunked) multipart upload from a file stream', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ap-test-')), 'clip.wav');
    fs.writeFileSync(file, wav);
    try {
      const report = await transcribeReport(fs.createReadStream(file));
      expect(Math.abs(report.seconds - CLIP_SECONDS)).toBeLessThan(0.05);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('translates with task translate and reports english', async () => {
    const verbose = await server.client.audio.translations.create({ file: await toFile(wav, 'a.wav'), model: 'whisper-1', response_format: 'verbose_json' });
    expect(verbose).toMatchObject({ language: 'english' });
    expect((JSON.parse(verbose.text) as ProbeReport).task).toBe('translate');
    const json = await server.client.audio.translations.create({ file: await toFile(wav, 'a.wav'), model: 'whisper-1' });
    expect(Object.keys(json)).toEqual(['text']);
  });

  it('round-trips speech the server itself produced, in every output format', async () => {
    for (const format of ['mp3', 'opus', 'aac', 'flac', 'wav'] as const) {
      const speech = await server.client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello world', response_format: format });
      const report = await transcribeReport(await toFile(new Uint8Array(await speech.arrayBuffer()), `speech.${format}`));
      expect(report.seconds).toBeGreaterThan(0.5);
      expect(report.rms).toBeGreaterThan(0.01);
    }
  });
});

describe('bad uploads get clear errors and leave the server healthy', () => {
  async function expectFailure(file: Awaited<ReturnType<typeof toFile>>, status: number, code: string | null, param: string | null) {
    const error = (await server.client.audio.transcriptions.create({ file, model: 'whisper-1' }).catch((caught: unknown) => caught)) as APIError;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.param).toBe(param);
  }

  it('rejects garbage bytes named .wav', async () => {
    await expectFailure(await toFile(Buffer.from('this is not audio at all, just text'.repeat(20)), 'a.wav'), 400, 'invalid_audio', 'file');
  });

  it('rejects a truncated file', async () => {
    const mp3 = await encodeTestInput('mp3', { samples: tone(440, 2, 24_000), sampleRate: 24_000 });
    await expectFailure(await toFile(mp3.subarray(0, 60), 'a.mp3'), 400, 'invalid_audio', 'file');
  });

  it('rejects an empty file', async () => {
    await expectFailure(await toFile(new Uint8Array(0), 'a.wav'), 400, 'invalid_audio', 'file');
  });

  it('rejects audio longer than 90 s', async () => {
    const long = await encodeTestInput('wav', { samples: new Float32Array(91 * 8000).fill(0.1), sampleRate: 8000 });
    await expectFailure(await toFile(long, 'long.wav'), 400, 'audio_too_long', 'file');
  });

  it('rejects a missing file', async () => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    const response = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('file');
  });

  it('rejects a speech model for transcription', async () => {
    const error = (await server.client.audio.transcriptions.create({ file: await toFile(wav, 'a.wav'), model: 'espeak' }).catch((caught: unknown) => caught)) as APIError;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe('model');
  });

  it('is still healthy and serving afterwards', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const report = await transcribeReport(await toFile(wav, 'a.wav'));
    expect(report.samples).toBeGreaterThan(0);
  });
});

describe('limits and the missing backend', () => {
  it('answers 413 for an upload over MAX_UPLOAD_BYTES', async () => {
    const small = await startTestServer({ PLUGIN_DIRS, MAX_UPLOAD_BYTES: '50000', PRELOAD_MODELS: '' });
    try {
      const big = await encodeTestInput('wav', { samples: tone(440, 3, 16_000), sampleRate: 16_000 });
      const error = (await small.client.audio.transcriptions.create({ file: await toFile(big, 'big.wav'), model: 'whisper-1' }).catch((caught: unknown) => caught)) as APIError;
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error.status).toBe(413);
      expect(error.code).toBe('request_too_large');
      expect((await fetch(`${small.url}/healthz`)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('answers 404 model_not_found with the pull command when no speech-to-text model serves whisper-1', async () => {
    const bare = await startTestServer({ PRELOAD_MODELS: '' });
    try {
      const error = (await bare.client.audio.transcriptions.create({ file: await toFile(wav, 'a.wav'), model: 'whisper-1' }).catch((caught: unknown) => caught)) as APIError;
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error.code).toBe('model_not_found');
      expect(error.message).toContain('`npm run models -- pull onnx-community/whisper-large-v3-turbo`');
    } finally {
      await bare.close();
    }
  });
});
