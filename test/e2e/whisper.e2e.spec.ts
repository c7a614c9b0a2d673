/**
 * Whisper end to end: a listening server whose MODELS_DIR holds generated Whisper exports, driven by the official
 * `openai` client. The main export is `_timestamped` and steered to say PHRASE from 0 to 2 s (and to detect German
 * when no language is given), so every response format can be checked against OpenAI's exact shapes.
 */
import '../fixtures/onnx/cross-realm-typed-arrays';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError, toFile } from 'openai';
import { scriptAfterPrefix, WHISPER_TEST_DIMS, whisperSpecialTokenIds, writeWhisperFixture } from '../fixtures/whisper/generate-whisper';
import { buildWhisperTokenizerJson } from '../fixtures/whisper/tokenizer-fixture';
import { WhisperTokenizer } from '../../plugins/whisper/tokenizer';
import { tone } from '../utils/signal';
import { encodeTestInput } from '../utils/test-audio';
import { startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

const ML = whisperSpecialTokenIds('multilingual');
const PHRASE = 'The quick brown fox jumps over the lazy dog';
const CLIP_SECONDS = 3;
const SEGMENT_KEYS = ['avg_logprob', 'compression_ratio', 'end', 'id', 'no_speech_prob', 'seek', 'start', 'temperature', 'text', 'tokens'];

let modelsDir: string;
let server: TestServer;
let wav: Uint8Array;

/**
 * Positions 2.. say `<|0.00|> PHRASE <|2.00|> <|endoftext|>`. With timestamps the prompt is [sot, lang, task], so
 * that is what is decoded; without, the prompt is one longer ([…, notimestamps]) and the same positions make the
 * model say PHRASE (plus a stray `<|2.00|>` that text output skips). Position 0 (language detection) says German.
 */
function steering(): { tokens: number[]; strength: number } {
  const phrase = WhisperTokenizer.fromJson(buildWhisperTokenizerJson('multilingual')).encode(` ${PHRASE}`);
  const script = scriptAfterPrefix(3, [ML.timestampBegin, ...phrase, ML.timestampBegin + 100, ML.endOfText]);
  script.tokens[0] = ML.languages.de;
  return script;
}

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'whisper-e2e-'));
  const options = { ...WHISPER_TEST_DIMS, vocab: 'multilingual' as const, seed: 3, script: steering() };
  await writeWhisperFixture(join(modelsDir, 'whisper-fixture'), { ...options, timestamped: true });
  // A smaller plain export (no cross-attention outputs): whisper-1 must still pick the bigger one above.
  await writeWhisperFixture(join(modelsDir, 'whisper-plain'), { ...options, encoderLayers: 1, decoderLayers: 1 });
  server = await startTestServer({ MODELS_DIR: modelsDir, PRELOAD_MODELS: 'whisper-1', WORKERS_PER_DEVICE: '1' });
  wav = await encodeTestInput('wav', { samples: tone(300, CLIP_SECONDS, 16_000, 0.3), sampleRate: 16_000 });
  await waitUntilReady(server.url, 60_000);
});

afterAll(async () => {
  await server?.close();
  if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
});

const file = () => toFile(wav, 'speech.wav');

describe('Whisper through the openai client', () => {
  it('lists the installed exports and whisper-1 as an alias of the bigger one', async () => {
    const models = await server.client.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['whisper-fixture', 'whisper-plain', 'whisper-1']));
    const alias = models.data.find((model) => model.id === 'whisper-1') as unknown as { alias_of?: string };
    expect(alias.alias_of).toBe('whisper-fixture');
  });

  it('answers json with the text and duration usage', async () => {
    const json = await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    expect(json).toEqual({ text: PHRASE, usage: { type: 'duration', seconds: CLIP_SECONDS } });
  });

  it('answers text, srt and vtt exactly as OpenAI does', async () => {
    expect(await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'text' })).toBe(`${PHRASE}\n`);
    expect(await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'srt' })).toBe(
      `1\n00:00:00,000 --> 00:00:02,000\n${PHRASE}\n`,
    );
    expect(await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'vtt' })).toBe(
      `WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n${PHRASE}\n`,
    );
  });

  it('answers verbose_json with the detected language by name and every segment field', async () => {
    const verbose = await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'verbose_json' });
    expect(Object.keys(verbose).sort()).toEqual(['duration', 'language', 'segments', 'task', 'text', 'usage']);
    expect(verbose).toMatchObject({ task: 'transcribe', language: 'german', duration: CLIP_SECONDS, text: PHRASE, usage: { type: 'duration', seconds: CLIP_SECONDS } });
    expect(verbose.segments).toHaveLength(1);
    const [segment] = verbose.segments!;
    expect(Object.keys(segment).sort()).toEqual(SEGMENT_KEYS);
    expect(segment).toMatchObject({ id: 0, seek: 0, start: 0, end: 2, text: ` ${PHRASE}`, temperature: 0 });
    expect(segment.tokens.length).toBeGreaterThan(PHRASE.split(' ').length);
    expect(segment.no_speech_prob).toBeGreaterThanOrEqual(0);
    expect(segment.no_speech_prob).toBeLessThanOrEqual(1);
  });

  it('uses the language the client names', async () => {
    const verbose = await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', response_format: 'verbose_json', language: 'en' });
    expect(verbose).toMatchObject({ language: 'english', text: PHRASE });
  });

  it('gives word timestamps from a _timestamped export, monotone and inside the segment', async () => {
    const verbose = await server.client.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(verbose.words!.map((word) => word.word)).toEqual(PHRASE.split(' '));
    let previousEnd = 0;
    for (const word of verbose.words!) {
      expect(Object.keys(word).sort()).toEqual(['end', 'start', 'word']);
      expect(word.start).toBeGreaterThanOrEqual(previousEnd);
      expect(word.end).toBeGreaterThanOrEqual(word.start);
      expect(word.end).toBeLessThanOrEqual(2);
      previousEnd = word.end;
    }
    expect(verbose.segments).toHaveLength(1);
  });

  it('refuses word timestamps on a plain export, naming the _timestamped export to pull', async () => {
    const error = (await server.client.audio.transcriptions
      .create({ file: await file(), model: 'whisper-plain', response_format: 'verbose_json', timestamp_granularities: ['word'] })
      .catch((caught: unknown) => caught)) as APIError;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe('timestamp_granularities');
    expect(error.message).toContain('`npm run models -- pull onnx-community/whisper-plain_timestamped`');
  });

  it('streams deltas that add up to the final text', async () => {
    const stream = await server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-1', stream: true });
    const events: Array<{ type: string; delta?: string; text?: string; usage?: { type: string } }> = [];
    for await (const event of stream) events.push(event as (typeof events)[number]);
    const deltas = events.filter((event) => event.type === 'transcript.text.delta').map((event) => event.delta);
    // With the temperature fallback on (the default), a window's text is final only once it passed the checks, so
    // this one-window clip arrives in one delta (token-by-token streaming is covered in the plugin spec).
    expect(deltas.length).toBeGreaterThanOrEqual(1);
    const done = events[events.length - 1];
    expect(done).toMatchObject({ type: 'transcript.text.done', text: PHRASE, usage: { type: 'tokens' } });
    expect(deltas.join('')).toBe(done.text);
  });

  it('translates: json has only the text, verbose_json reports english', async () => {
    expect(await server.client.audio.translations.create({ file: await file(), model: 'whisper-1' })).toEqual({ text: PHRASE });
    const verbose = await server.client.audio.translations.create({ file: await file(), model: 'whisper-1', response_format: 'verbose_json' });
    expect(verbose).toMatchObject({ task: 'translate', language: 'english', text: PHRASE });
    expect((verbose as unknown as { segments: unknown[] }).segments).toHaveLength(1);
  });

  it('answers 404 model_not_found with the exact pull command for a model that is not installed', async () => {
    for (const create of [
      async () => server.client.audio.transcriptions.create({ file: await file(), model: 'whisper-base' }),
      async () => server.client.audio.translations.create({ file: await file(), model: 'whisper-base' }),
    ]) {
      const error = (await create().catch((caught: unknown) => caught)) as APIError;
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error.code).toBe('model_not_found');
      expect(error.param).toBe('model');
      expect(error.message).toContain('`npm run models -- pull onnx-community/whisper-base`');
    }
  });
});
