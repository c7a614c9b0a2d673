/**
 * MODEL_VERIFY_ON_LOAD: a model folder pulled with a manifest is re-hashed before its first load; tampered files
 * keep the model out of service (500 model_integrity, the log naming the file), untouched ones load as before.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import OpenAI, { APIError, toFile } from 'openai';
import { ModelStore } from '../../src/models/model-store';
import { LogCapture } from '../utils/log-capture';
import { tone } from '../utils/signal';
import { encodeTestInput } from '../utils/test-audio';
import { FIXTURE_PLUGINS, startTestServer } from '../utils/test-server';

const MODEL = 'probe-stt';
let modelsDir: string;
let weights: string;
let wav: Uint8Array;

beforeAll(async () => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-integrity-'));
  const store = new ModelStore(modelsDir);
  const folder = await store.ensureFolder(MODEL);
  weights = path.join(folder, 'weights.bin');
  const bytes = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 31) % 251));
  fs.writeFileSync(weights, bytes);
  const now = new Date().toISOString();
  await store.writeManifest(MODEL, {
    format: 1,
    repo: 'tests/probe-stt',
    revision: 'main',
    family: 'generic',
    dtype: null,
    files: [{ path: 'weights.bin', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }],
    pulled_at: now,
    verified: { at: now, ok: true },
  });
  wav = await encodeTestInput('wav', { samples: tone(440, 0.5, 16_000), sampleRate: 16_000 });
});

afterAll(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

async function transcribe(env: Record<string, string>, logs?: LogCapture): Promise<unknown> {
  const server = await startTestServer({ MODELS_DIR: modelsDir, PLUGIN_DIRS: `dist/plugins,${FIXTURE_PLUGINS}`, LOG_LEVEL: 'info', ...env }, { logs });
  try {
    return await server.client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(wav, 'clip.wav') });
  } catch (error) {
    return error;
  } finally {
    await server.close();
  }
}

it('serves a model whose files match their recorded hashes', async () => {
  const logs = new LogCapture();
  const result = (await transcribe({ MODEL_VERIFY_ON_LOAD: 'true' }, logs)) as { text: string };
  expect(typeof result.text).toBe('string');
  expect(logs.matching(/^probe-stt: 1 files match their recorded sha256/)).toHaveLength(1);
});

it('refuses a tampered model with 500 model_integrity and names the file in the log only', async () => {
  const bytes = fs.readFileSync(weights);
  bytes[1000] ^= 0xff;
  fs.writeFileSync(weights, bytes);
  const logs = new LogCapture();
  const error = await transcribe({ MODEL_VERIFY_ON_LOAD: 'true' }, logs);
  expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  expect((error as APIError).code).toBe('model_integrity');
  expect((error as APIError).message).not.toContain('weights.bin');
  const logged = logs.matching(/failed its integrity check/);
  expect(logged.length).toBeGreaterThanOrEqual(1);
  expect(String(logged[0].msg)).toContain('weights.bin: sha256 differs');
});

it('does not check (and so still serves the tampered files) when MODEL_VERIFY_ON_LOAD is off, the default', async () => {
  const result = (await transcribe({})) as { text: string };
  expect(typeof result.text).toBe('string');
});
