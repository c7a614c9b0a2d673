/**
 * The audio cache with cloned voices (a generated Chatterbox Turbo export): a voice is one key whether named by id
 * or by name, a deleted voice is never served from the cache, and a new voice under the old name is a new key.
 */
import '../fixtures/onnx/cross-realm-typed-arrays';
import { APIError } from 'openai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcm16Wav, STOP_SPEECH_TOKEN, voiceLikeClip, writeChatterboxFixture, CHATTERBOX_TEST_DIMS } from '../fixtures/chatterbox/generate-chatterbox';
import { startTestServer, type TestServer } from '../utils/test-server';

let root: string;
let cacheDir: string;
let server: TestServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'audio-cache-voices-'));
  const modelsDir = join(root, 'models');
  cacheDir = join(root, 'cache');
  const script = { tokens: [...Array.from({ length: 20 }, (_, i) => 200 + i), STOP_SPEECH_TOKEN] };
  await writeChatterboxFixture(join(modelsDir, 'chatterbox-turbo'), { variant: 'turbo', dims: CHATTERBOX_TEST_DIMS, seed: 5, script });
  server = await startTestServer({
    MODELS_DIR: modelsDir,
    VOICES_DIR: join(root, 'voices'),
    AUDIO_CACHE_DIR: cacheDir,
    PRELOAD_MODELS: '',
    WORKERS_PER_DEVICE: '1',
    VOICE_MAX_BYTES: String(1024 * 1024),
  });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

async function createVoice(name: string, seed: number): Promise<{ id: string }> {
  const form = new FormData();
  form.append('name', name);
  form.append('audio_sample', new Blob([new Uint8Array(pcm16Wav(voiceLikeClip(6, seed)))], { type: 'audio/wav' }), 'reference.wav');
  form.append('consent', 'cons_test');
  return server.client.post<{ id: string }>('/audio/voices', { body: form });
}

async function speak(voice: string | { id: string }): Promise<{ bytes: Buffer; cache: string | null }> {
  const response = await server.client.audio.speech.create({ model: 'chatterbox-turbo', voice, input: 'Hello there.', response_format: 'pcm' });
  return { bytes: Buffer.from(await response.arrayBuffer()), cache: response.headers.get('x-cache') };
}

it('serves a cloned voice by id or name from one entry, and never once the voice is deleted', async () => {
  const voice = await createVoice('Narrator', 2);
  const first = await speak({ id: voice.id });
  expect(first.cache).toBe('miss');
  const byName = await speak('Narrator');
  expect(byName.cache).toBe('hit');
  expect(byName.bytes.equals(first.bytes)).toBe(true);
  expect(await readdir(cacheDir)).toHaveLength(1);

  await server.client.delete(`/audio/voices/${voice.id}`);
  const gone = await speak({ id: voice.id }).catch((error: unknown) => error);
  expect(gone).toBeInstanceOf(APIError);
  expect(gone).toMatchObject({ status: 400, code: 'voice_not_found' });

  // The same name on a different reference clip is a different voice: generated afresh, not the old audio.
  await createVoice('Narrator', 9);
  const remade = await speak('Narrator');
  expect(remade.cache).toBe('miss');
  expect(remade.bytes.equals(first.bytes)).toBe(false);
  expect(await readdir(cacheDir)).toHaveLength(2);
});
