/**
 * The optional audio cache of POST /v1/audio/speech (AUDIO_CACHE_DIR), through the official `openai` SDK against
 * a listening server speaking with the built-in eSpeak voice: hits replay the stored bytes, every field that changes
 * the audio changes the key, non-deterministic requests and SSE bypass it, entries expire and are swept (at start,
 * on the timer, over the size cap), an abandoned request leaves nothing, folder and files are private, and with the
 * setting empty nothing is written anywhere.
 */
import { APIError } from 'openai';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioCache } from '../../src/cache/audio-cache';
import { startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

type SpeechParams = Parameters<TestServer['client']['audio']['speech']['create']>[0];

const BASE = { model: 'tts-1', voice: 'alloy', input: 'The cache keeps this sentence.', response_format: 'wav' } as const;
const ENTRY = /^[0-9a-f]{64}$/;

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'audio-cache-e2e-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh cache folder path (not created: the server makes it). */
function cacheDir(name: string): string {
  return join(root, name, 'audio');
}

function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}

async function speak(server: TestServer, params: Record<string, unknown>): Promise<{ bytes: Buffer; cache: string | null; headers: Headers }> {
  const response = await server.client.audio.speech.create({ ...BASE, ...params } as SpeechParams);
  return { bytes: Buffer.from(await response.arrayBuffer()), cache: response.headers.get('x-cache'), headers: response.headers };
}

/** Backdates a file, as if it had been written `seconds` ago. */
function age(file: string, seconds: number): void {
  const then = new Date(Date.now() - seconds * 1000);
  utimesSync(file, then, then);
}

/** Polls the folder until `done` holds (a correctness wait with a generous deadline, not a speed check). */
async function waitForFiles(dir: string, done: (files: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const files = filesIn(dir);
    if (done(files) || Date.now() > deadline) return files;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('with AUDIO_CACHE_DIR set', () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = cacheDir('main');
    server = await startTestServer({ AUDIO_CACHE_DIR: dir });
    await waitUntilReady(server.url);
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    for (const file of filesIn(dir)) rmSync(join(dir, file));
  });

  it('answers a repeated identical request from the cache, byte for byte and with the same headers', async () => {
    const first = await speak(server, {});
    expect(first.cache).toBe('miss');
    const entries = filesIn(dir);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(ENTRY);

    const second = await speak(server, {});
    expect(second.cache).toBe('hit');
    expect(second.bytes.equals(first.bytes)).toBe(true);
    for (const header of ['content-type', 'transfer-encoding']) expect(second.headers.get(header)).toBe(first.headers.get(header));
    expect(second.headers.get('x-request-id')).toBeTruthy();
    expect(filesIn(dir)).toEqual(entries);
  });

  it('creates its folder mode 0700 and writes entries mode 0600', async () => {
    await speak(server, {});
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const [entry] = filesIn(dir);
    expect(statSync(join(dir, entry)).mode & 0o777).toBe(0o600);
  });

  it('misses when any field that changes the audio differs: input, voice, speed, format, instructions, an extension', async () => {
    expect((await speak(server, {})).cache).toBe('miss');
    const variants: Array<Record<string, unknown>> = [
      { input: 'The cache keeps another sentence.' },
      { voice: 'onyx' },
      { speed: 1.5 },
      { response_format: 'mp3' },
      { instructions: 'Calmly.' },
      { seed: 7 },
    ];
    for (const variant of variants) {
      expect({ variant, cache: (await speak(server, variant)).cache }).toEqual({ variant, cache: 'miss' });
    }
    expect(filesIn(dir)).toHaveLength(1 + variants.length);
    // Each variant is now a hit of its own, and the original is still served as itself.
    for (const variant of variants) expect((await speak(server, variant)).cache).toBe('hit');
    expect((await speak(server, {})).cache).toBe('hit');
  });

  it('keys on the resolved model, not the alias: tts-1 and espeak share an entry', async () => {
    const viaAlias = await speak(server, { model: 'tts-1' });
    const direct = await speak(server, { model: 'espeak' });
    expect([viaAlias.cache, direct.cache]).toEqual(['miss', 'hit']);
    expect(direct.bytes.equals(viaAlias.bytes)).toBe(true);
  });

  it('bypasses the cache for sampling without a seed, unknown extra fields and SSE, and caches seeded sampling', async () => {
    for (const params of [{ temperature: 0.8 }, { some_backend_switch: true }, { stream_format: 'sse' }]) {
      for (let i = 0; i < 2; i++) expect({ params, cache: (await speak(server, params)).cache }).toEqual({ params, cache: 'bypass' });
    }
    expect(filesIn(dir)).toEqual([]);
    expect((await speak(server, { temperature: 0.8, seed: 42 })).cache).toBe('miss');
    expect((await speak(server, { temperature: 0.8, seed: 42 })).cache).toBe('hit');
    expect((await speak(server, { temperature: 0, top_p: 0.5 })).cache).toBe('miss');
  });

  it('never serves an entry older than AUDIO_RETENTION_S, and a sweep deletes it', async () => {
    await speak(server, {});
    const [entry] = filesIn(dir);
    age(join(dir, entry), 3600 + 5);
    expect((await speak(server, {})).cache).toBe('miss');
    // Generated again and stored afresh.
    expect(filesIn(dir)).toEqual([entry]);
    expect((await speak(server, {})).cache).toBe('hit');

    age(join(dir, entry), 3600 + 5);
    expect(await server.app.get(AudioCache).sweep()).toMatchObject({ expired: 1 });
    expect(filesIn(dir)).toEqual([]);
  });

  it('an abandoned request leaves neither an entry nor a temp file', async () => {
    const controller = new AbortController();
    // Minutes of raw audio: far more than socket buffers hold, so the server is mid-stream when the client hangs up.
    const input = 'This sentence is long enough to take a while to speak, and it goes on. '.repeat(55);
    const response = await server.client.audio.speech.create({ ...BASE, input, response_format: 'pcm' }, { signal: controller.signal }).asResponse();
    expect(response.headers.get('x-cache')).toBe('miss');
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    // The copy being written exists while the audio streams …
    expect(filesIn(dir).some((file) => file.startsWith('.tmp-'))).toBe(true);
    controller.abort();
    await reader.cancel().catch(() => undefined);
    // … and is gone once the server has noticed, with no entry in its place.
    expect(await waitForFiles(dir, (files) => files.length === 0)).toEqual([]);
    const again = await server.client.audio.speech.create({ ...BASE, input: 'Still working.', response_format: 'pcm' });
    await again.arrayBuffer();
    expect(filesIn(dir)).toHaveLength(1);
  });

  it('a refused request (bad voice) stores nothing', async () => {
    const error = await speak(server, { voice: 'no-such-voice' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    expect(filesIn(dir)).toEqual([]);
  });
});

describe('the sweeper', () => {
  it('at start-up deletes expired entries and stale temp files, keeping fresh entries and files that are not its own', async () => {
    const dir = cacheDir('startup');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const expired = 'a'.repeat(64);
    const fresh = 'b'.repeat(64);
    const staleTemp = '.tmp-0123456789abcdef01234567';
    for (const name of [expired, fresh, staleTemp, 'notes.txt']) writeFileSync(join(dir, name), 'x');
    age(join(dir, expired), 7200);
    age(join(dir, staleTemp), 7200);
    age(join(dir, 'notes.txt'), 7200);
    // REQUEST_TIMEOUT_MS bounds how long a live request may write a temp file: older ones are leftovers.
    const server = await startTestServer({ AUDIO_CACHE_DIR: dir, REQUEST_TIMEOUT_MS: '60000', PRELOAD_MODELS: '' });
    try {
      expect(filesIn(dir)).toEqual([fresh, 'notes.txt']);
    } finally {
      await server.close();
    }
  });

  it('runs on a timer: with AUDIO_RETENTION_S=1 an entry disappears without any further request', async () => {
    const dir = cacheDir('timer');
    const server = await startTestServer({ AUDIO_CACHE_DIR: dir, AUDIO_RETENTION_S: '1' });
    try {
      await waitUntilReady(server.url);
      expect((await speak(server, {})).cache).toBe('miss');
      expect(filesIn(dir)).toHaveLength(1);
      expect(await waitForFiles(dir, (files) => files.length === 0)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('applies AUDIO_CACHE_MAX_BYTES: with a cap smaller than any answer, entries are evicted and the answer still arrives whole', async () => {
    // Which entries go first (the oldest) is shown in test/unit/audio-cache.spec.ts; here, that the setting applies.
    const dir = cacheDir('cap');
    const server = await startTestServer({ AUDIO_CACHE_DIR: dir, AUDIO_CACHE_MAX_BYTES: '1' });
    try {
      await waitUntilReady(server.url);
      const first = await speak(server, {});
      expect(first.cache).toBe('miss');
      await server.app.get(AudioCache).sweep();
      expect(filesIn(dir)).toEqual([]);
      const second = await speak(server, {});
      expect(second.cache).toBe('miss');
      expect(second.bytes.length).toBe(first.bytes.length);
    } finally {
      await server.close();
    }
  });
});

describe('with AUDIO_CACHE_DIR empty (the default)', () => {
  const savedTmpdir = process.env.TMPDIR;
  let tmp: string;
  let server: TestServer;

  beforeAll(async () => {
    // The server runs in this process: a private TMPDIR shows whatever it would write to os.tmpdir().
    tmp = mkdtempSync(join(root, 'tmpdir-'));
    process.env.TMPDIR = tmp;
    server = await startTestServer({ VOICES_DIR: join(root, 'default-voices') });
    await waitUntilReady(server.url);
  });

  afterAll(async () => {
    await server.close();
    process.env.TMPDIR = savedTmpdir;
  });

  it('stores nothing anywhere and sends no x-cache header', async () => {
    const before = readdirSync(root).sort();
    for (let i = 0; i < 2; i++) {
      const { cache, bytes } = await speak(server, {});
      expect(cache).toBeNull();
      expect(bytes.length).toBeGreaterThan(44);
    }
    expect(server.app.get(AudioCache).enabled).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(root).sort()).toEqual(before);
  });
});
