/**
 * Chatterbox through the HTTP API and the official `openai` SDK, on generated Turbo exports: voice cloning
 * (create / list / use by id and by name / delete, restart, every kind of bad clip), the speech extensions,
 * streaming (chunked and SSE carry the same audio) and cancellation freeing the worker.
 */
import '../fixtures/onnx/cross-realm-typed-arrays';
import { APIError } from 'openai';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHATTERBOX_TEST_DIMS, pcm16Wav, SAMPLES_PER_TOKEN, STOP_SPEECH_TOKEN, voiceLikeClip, writeChatterboxFixture } from '../fixtures/chatterbox/generate-chatterbox';
import { startTestServer, type TestServer } from '../utils/test-server';

/** 60 speech tokens then STOP: 2.4 s of audio per sentence. */
const SCRIPT = [...Array.from({ length: 60 }, (_, i) => 200 + i), STOP_SPEECH_TOKEN];
const SENTENCE_SAMPLES = (60 + 3) * SAMPLES_PER_TOKEN;

let modelsDir: string;
let voicesDir: string;
let server: TestServer;

function serverEnv(): Record<string, string> {
  return { MODELS_DIR: modelsDir, VOICES_DIR: voicesDir, ALIASES: 'tts-1-hd=chatterbox-turbo', PRELOAD_MODELS: '', WORKERS_PER_DEVICE: '1', VOICE_MAX_BYTES: String(1024 * 1024) };
}

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'chatterbox-models-'));
  voicesDir = join(await mkdtemp(join(tmpdir(), 'chatterbox-voices-')), 'voices');
  const dims = CHATTERBOX_TEST_DIMS;
  await writeChatterboxFixture(join(modelsDir, 'chatterbox-turbo'), { variant: 'turbo', dims, seed: 5, script: { tokens: SCRIPT } });
  await writeChatterboxFixture(join(modelsDir, 'chatterbox-multilingual'), { variant: 'multilingual', dims, seed: 7, script: { tokens: SCRIPT } });
  // Never says STOP on its own: for cancellation.
  await writeChatterboxFixture(join(modelsDir, 'chatterbox-endless'), { variant: 'turbo', dims, seed: 6, logitBias: { [STOP_SPEECH_TOKEN]: -200 } });
  server = await startTestServer(serverEnv());
});

afterAll(async () => {
  await server?.close();
  await rm(modelsDir, { recursive: true, force: true });
  await rm(join(voicesDir, '..'), { recursive: true, force: true });
});

interface VoiceResource {
  object: string;
  id: string;
  name: string;
  created_at: number;
}

function clipWav(seconds: number, seed = 2): Buffer {
  return pcm16Wav(voiceLikeClip(seconds, seed));
}

/** POST /v1/audio/voices through the SDK's own request path (multipart body). */
async function createVoice(name: string, sample: Buffer, extra: Record<string, string> = {}, target = server): Promise<VoiceResource> {
  const form = new FormData();
  form.append('name', name);
  form.append('audio_sample', new Blob([new Uint8Array(sample)], { type: 'audio/wav' }), 'reference.wav');
  form.append('consent', 'cons_test');
  for (const [key, value] of Object.entries(extra)) form.append(key, value);
  return target.client.post<VoiceResource>('/audio/voices', { body: form });
}

async function speakPcm(voice: string | { id: string }, input = 'Hello there.', extra: Record<string, unknown> = {}, target = server): Promise<Buffer> {
  const response = await target.client.audio.speech.create({ model: 'tts-1-hd', voice, input, response_format: 'pcm', ...extra } as Parameters<typeof target.client.audio.speech.create>[0]);
  return Buffer.from(await response.arrayBuffer());
}

async function apiError(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

async function storedVoices(): Promise<string[]> {
  try {
    return (await readdir(voicesDir)).sort();
  } catch {
    return [];
  }
}

describe('voice cloning', () => {
  it('creates a voice, lists it, speaks with it by id and by name, and deletes it', async () => {
    const voice = await createVoice('Narrator', clipWav(6));
    expect(voice).toEqual({ object: 'audio.voice', id: expect.stringMatching(/^voice_[0-9a-f]{32}$/), name: 'Narrator', created_at: expect.any(Number) });

    const list = (await server.client.get('/audio/voices')) as { data: Array<Record<string, unknown>> };
    expect(list.data).toContainEqual(expect.objectContaining({ id: voice.id, name: 'Narrator', object: 'audio.voice', models: expect.arrayContaining(['chatterbox-turbo', 'tts-1-hd']) }));
    const forEspeak = (await server.client.get('/audio/voices', { query: { model: 'espeak' } })) as { data: Array<{ id: string }> };
    expect(forEspeak.data.map((entry) => entry.id)).not.toContain(voice.id);

    const byId = await speakPcm({ id: voice.id });
    // A voice belongs to the model that computed it.
    const elsewhere = server.client.audio.speech.create({ model: 'chatterbox-endless', voice: { id: voice.id }, input: 'Hi.', response_format: 'pcm' });
    expect(await apiError(elsewhere)).toMatchObject({ status: 400, code: 'voice_model_mismatch', param: 'voice' });
    expect(byId.length).toBe(SENTENCE_SAMPLES * 2);
    expect(await speakPcm('Narrator')).toEqual(byId);
    expect(await speakPcm(voice.id)).toEqual(byId);
    // Another reference speaks differently.
    const other = await createVoice('Other', clipWav(6, 9));
    expect(await speakPcm({ id: other.id })).not.toEqual(byId);

    expect(await server.client.delete(`/audio/voices/${voice.id}`)).toEqual({ id: voice.id, object: 'audio.voice.deleted', deleted: true });
    expect(await storedVoices()).toEqual([other.id]);
    expect((await apiError(speakPcm({ id: voice.id }))).status).toBe(400);
    expect(await apiError(server.client.delete(`/audio/voices/${voice.id}`))).toMatchObject({ status: 404, code: 'voice_not_found' });
    await server.client.delete(`/audio/voices/${other.id}`);
  });

  it('keeps voices across a restart, and only the computed conditioning unless KEEP_VOICE_SAMPLES', async () => {
    const voice = await createVoice('Keeper', clipWav(6, 4));
    const before = await speakPcm({ id: voice.id });
    expect((await readdir(join(voicesDir, voice.id))).sort()).toEqual(['audio_features.bin', 'audio_tokens.bin', 'speaker_embeddings.bin', 'speaker_features.bin', 'voice.json']);
    await server.close();
    server = await startTestServer({ ...serverEnv(), KEEP_VOICE_SAMPLES: 'true' });
    expect(await speakPcm({ id: voice.id })).toEqual(before);
    expect(await speakPcm('Keeper')).toEqual(before);
    const kept = await createVoice('Kept sample', clipWav(6, 5));
    expect(await readdir(join(voicesDir, kept.id))).toContain('sample.bin');
    await server.client.delete(`/audio/voices/${voice.id}`);
    await server.client.delete(`/audio/voices/${kept.id}`);
  });

  it('a cloned voice named like a built-in one takes that name on its own model only', async () => {
    const nova = await createVoice('nova', clipWav(6, 11));
    expect(await speakPcm('nova')).toEqual(await speakPcm({ id: nova.id }));
    const espeak = await server.client.audio.speech.create({ model: 'espeak', voice: 'nova', input: 'Hi.', response_format: 'pcm' });
    expect(espeak.status).toBe(200);
    await server.client.delete(`/audio/voices/${nova.id}`);
  });

  it('trims clips longer than 8 s before cloning', async () => {
    const voice = await createVoice('Long clip', clipWav(12, 6));
    // 25 speech tokens per second of reference, int64 each: 8 s, not 12.
    expect((await stat(join(voicesDir, voice.id, 'audio_tokens.bin'))).size).toBe(8 * 25 * 8);
    await server.client.delete(`/audio/voices/${voice.id}`);
  });

  it('rejects short, silent, non-audio and oversize clips with OpenAI-shaped errors, leaving nothing on disk', async () => {
    const before = await storedVoices();
    expect(await apiError(createVoice('Short', clipWav(3)))).toMatchObject({ status: 400, code: 'audio_too_short', param: 'audio_sample' });
    expect(await apiError(createVoice('Silent', pcm16Wav(new Float32Array(24_000 * 6))))).toMatchObject({ status: 400, code: 'audio_silent', param: 'audio_sample' });
    expect(await apiError(createVoice('Text', Buffer.from('this is not audio at all, just text. '.repeat(100))))).toMatchObject({ status: 400, code: 'invalid_audio', param: 'audio_sample' });
    expect(await apiError(createVoice('Huge', clipWav(25)))).toMatchObject({ status: 413, param: 'audio_sample' });
    const form = new FormData();
    form.append('name', 'No clip');
    form.append('consent', 'cons_test');
    expect(await apiError(server.client.post('/audio/voices', { body: form }))).toMatchObject({ status: 400, code: 'missing_required_parameter', param: 'audio_sample' });
    expect(await apiError(createVoice('Wrong model', clipWav(6), { model: 'espeak' }))).toMatchObject({ status: 400, param: 'model' });
    expect(await storedVoices()).toEqual(before);
    const taken = await createVoice('Taken', clipWav(6));
    expect(await apiError(createVoice('Taken', clipWav(6, 3)))).toMatchObject({ status: 400, code: 'duplicate_voice_name', param: 'name' });
    await server.client.delete(`/audio/voices/${taken.id}`);
  });
});

describe('speech with Chatterbox', () => {
  let voiceId: string;
  beforeAll(async () => {
    voiceId = (await createVoice('Speaker', clipWav(6, 3))).id;
  });

  it('speaks every sentence; SSE carries the same audio as the chunked body', async () => {
    const input = 'First sentence. Second sentence.';
    const chunked = await speakPcm({ id: voiceId }, input);
    expect(chunked.length).toBe(2 * SENTENCE_SAMPLES * 2);
    const response = await server.client.audio.speech.create({ model: 'tts-1-hd', voice: { id: voiceId }, input, response_format: 'pcm', stream_format: 'sse' });
    const events = (await response.text())
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: '))
      .map((frame) => JSON.parse(frame.slice(6)) as { type: string; audio?: string });
    const audio = Buffer.concat(events.filter((event) => event.type === 'speech.audio.delta').map((event) => Buffer.from(event.audio!, 'base64')));
    expect(audio).toEqual(chunked);
    expect(events.at(-1)!.type).toBe('speech.audio.done');
  });

  it('takes the sampling extensions: a seed reproduces sampled audio; bad values are 400 with their param', async () => {
    const sampled = (seed: number) => speakPcm({ id: voiceId }, 'Hello there.', { temperature: 1, top_k: 50, top_p: 0.95, min_p: 0.01, repetition_penalty: 1.3, seed });
    const a = await sampled(7);
    expect(await sampled(7)).toEqual(a);
    expect(await apiError(speakPcm({ id: voiceId }, 'Hi.', { top_p: 2 }))).toMatchObject({ status: 400, param: 'top_p' });
    expect(await apiError(speakPcm({ id: voiceId }, 'Hi.', { seed: 'x' }))).toMatchObject({ status: 400, param: 'seed' });
  });

  it('answers built-in names without a reference clip with a 400 that says what to do', async () => {
    const error = await apiError(speakPcm('alloy'));
    expect(error).toMatchObject({ status: 400, code: 'voice_not_available', param: 'voice' });
    expect(error.message).toContain('POST /v1/audio/voices');
  });

  it('speaks built-in names with the export’s default_voice.wav, in the language asked for (multilingual)', async () => {
    const speak = (extra: Record<string, unknown>) =>
      server.client.audio.speech.create({ model: 'chatterbox-multilingual', voice: 'alloy', input: 'Bonjour à tous.', response_format: 'pcm', ...extra } as Parameters<typeof server.client.audio.speech.create>[0]);
    const french = Buffer.from(await (await speak({ language: 'fr', exaggeration: 0.7 })).arrayBuffer());
    expect(french.length).toBe(SENTENCE_SAMPLES * 2);
    expect(await apiError(speak({ language: 'xx' }))).toMatchObject({ status: 400, code: 'unsupported_language', param: 'language' });
    const voices = (await server.client.get('/audio/voices', { query: { model: 'chatterbox-multilingual' } })) as { data: Array<{ id: string; languages: string[] }> };
    expect(voices.data.find((voice) => voice.id === 'alloy')!.languages).toEqual(expect.arrayContaining(['en', 'fr', 'de']));
  });

  it('a cancelled request frees the worker for the next one', async () => {
    const endless = await createVoice('Endless', clipWav(6, 8), { model: 'chatterbox-endless' });
    const controller = new AbortController();
    const response = await server.client.audio.speech
      .create({ model: 'chatterbox-endless', voice: { id: endless.id }, input: 'Talk forever.', response_format: 'pcm' }, { signal: controller.signal })
      .asResponse();
    const reader = response.body!.getReader();
    // The first window has arrived: generation is under way. Hang up.
    expect((await reader.read()).done).toBe(false);
    controller.abort();
    await reader.cancel().catch(() => undefined);
    // One worker: this only answers once the abandoned generation has stopped.
    expect((await speakPcm({ id: voiceId })).length).toBe(SENTENCE_SAMPLES * 2);
  });
});
