/**
 * POST /v1/audio/speech through the official `openai` SDK against a listening server with the built-in eSpeak
 * voice: every format, both stream formats, speed, and the errors a client can provoke.
 */
import OpenAI, { APIError } from 'openai';
import { AudioDecoder } from '../../src/audio/decoder';
import { declaredSampleRate, hasMagic } from '../utils/audio-probe';
import { rms, s16leToFloat } from '../utils/signal';
import { startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

const FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;

let server: TestServer;
let decoder: AudioDecoder;

beforeAll(async () => {
  server = await startTestServer();
  decoder = new AudioDecoder({ maxSeconds: 600, timeoutMs: 30_000, threads: 1 });
  await waitUntilReady(server.url);
});

afterAll(async () => {
  await server.close();
  await decoder.close();
});

/** What a listener gets: samples at 24 kHz (decoded by FFmpeg, or read raw for pcm). */
async function decodeSpeech(format: string, bytes: Uint8Array): Promise<Float32Array> {
  if (format === 'pcm') return s16leToFloat(bytes);
  return (await decoder.decode(bytes, { sampleRate: 24_000 })).samples;
}

/** Reads `data:` frames of a server-sent event stream. */
function parseSse(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .map((frame) => frame.trim())
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => JSON.parse(frame.slice('data: '.length)) as Record<string, unknown>);
}

describe.each(FORMATS)('speech as %s', (format) => {
  it('streams audio that decodes to "Hello world" at 24 kHz', async () => {
    const response = await server.client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello world', response_format: format });
    expect(response.status).toBe(200);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(hasMagic(format, bytes)).toBe(true);
    if (format !== 'pcm') expect(declaredSampleRate(format, bytes)).toBe(24_000);
    const samples = await decodeSpeech(format, bytes);
    expect(samples.length / 24_000).toBeGreaterThanOrEqual(0.5);
    expect(rms(samples)).toBeGreaterThan(0.01);
  });

  it('sends server-sent events with base64 audio when stream_format=sse', async () => {
    const response = await server.client.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input: 'Hello world. This is a second sentence.',
      response_format: format,
      stream_format: 'sse',
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await response.text());
    const deltas = events.filter((event) => event.type === 'speech.audio.delta');
    const done = events.filter((event) => event.type === 'speech.audio.done');
    expect(deltas.length).toBeGreaterThan(0);
    expect(done).toHaveLength(1);
    expect(events[events.length - 1]).toBe(done[0]);
    const usage = done[0].usage as Record<string, number>;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    const bytes = Buffer.concat(deltas.map((event) => Buffer.from(event.audio as string, 'base64')));
    expect(hasMagic(format, bytes)).toBe(true);
    const samples = await decodeSpeech(format, bytes);
    expect(samples.length / 24_000).toBeGreaterThanOrEqual(1);
    expect(rms(samples)).toBeGreaterThan(0.01);
  });
});

describe('speech options', () => {
  async function seconds(body: Partial<OpenAI.Audio.SpeechCreateParams>): Promise<number> {
    const response = await server.client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'The quick brown fox jumps over the lazy dog.', response_format: 'pcm', ...body });
    return (await response.arrayBuffer()).byteLength / 2 / 24_000;
  }

  it('speaks clearly faster at speed 2 than at speed 1', async () => {
    const normal = await seconds({ speed: 1 });
    const fast = await seconds({ speed: 2 });
    expect(fast).toBeLessThan(normal * 0.75);
  });

  it('defaults to mp3', async () => {
    const response = await server.client.audio.speech.create({ model: 'tts-1', voice: 'nova', input: 'Default format.' });
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect(hasMagic('mp3', new Uint8Array(await response.arrayBuffer()))).toBe(true);
  });

  it('accepts a voice object, instructions and unknown extra fields', async () => {
    const response = await fetch(`${server.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini-tts', voice: { id: 'onyx' }, input: 'Hi.', instructions: 'Speak calmly.', response_format: 'wav', some_future_field: 1 }),
    });
    expect(response.status).toBe(200);
    expect(hasMagic('wav', new Uint8Array(await response.arrayBuffer()))).toBe(true);
  });

  it('gives different voices different sounds', async () => {
    const pcm = async (voice: string) =>
      new Uint8Array(await (await server.client.audio.speech.create({ model: 'tts-1', voice, input: 'Same words.', response_format: 'pcm' })).arrayBuffer());
    expect(Buffer.from(await pcm('alloy')).equals(Buffer.from(await pcm('onyx')))).toBe(false);
  });
});

describe('speech errors surface as the SDK typed errors', () => {
  async function expectError(body: Record<string, unknown>, errorClass: abstract new (...args: never[]) => APIError, status: number, code: string | null, param?: string) {
    const call = server.client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello', ...body } as OpenAI.Audio.SpeechCreateParams);
    const error = (await call.then(
      () => undefined,
      (caught: unknown) => caught,
    )) as APIError;
    expect(error).toBeInstanceOf(errorClass);
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.type).toBe('invalid_request_error');
    if (param !== undefined) expect(error.param).toBe(param);
    expect(error.requestID).toBeTruthy();
  }

  it('rejects an unknown voice', () => expectError({ voice: 'no-such-voice' }, OpenAI.BadRequestError, 400, 'invalid_value', 'voice'));
  it('rejects an unknown format', () => expectError({ response_format: 'ogg' }, OpenAI.BadRequestError, 400, 'invalid_value', 'response_format'));
  it('rejects a speed above 4', () => expectError({ speed: 4.5 }, OpenAI.BadRequestError, 400, 'invalid_value', 'speed'));
  it('rejects a speed below 0.25', () => expectError({ speed: 0.1 }, OpenAI.BadRequestError, 400, 'invalid_value', 'speed'));
  it('rejects empty input', () => expectError({ input: '' }, OpenAI.BadRequestError, 400, 'invalid_value', 'input'));
  it('rejects 4097 characters', () => expectError({ input: 'a'.repeat(4097) }, OpenAI.BadRequestError, 400, 'invalid_value', 'input'));
  it('rejects a wrong type', () => expectError({ input: 42 }, OpenAI.BadRequestError, 400, 'invalid_type', 'input'));
  it('names a missing field', () => expectError({ input: undefined }, OpenAI.BadRequestError, 400, 'missing_required_parameter', 'input'));
  it('answers 404 model_not_found for an unknown model', () => expectError({ model: 'no-such-model' }, OpenAI.NotFoundError, 404, 'model_not_found', 'model'));

  it('accepts exactly 4096 characters', async () => {
    const response = await fetch(`${server.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: `Hi.${' '.repeat(4093)}`, response_format: 'pcm' }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });
});
