/** The cloned-voice store on a real folder: round trip, restart, atomic appearance and removal, leftovers cleared. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VoiceEmbedding } from '../../plugins/sdk';
import { VoiceStore } from '../../src/voices/voice-store';

const embedding = (): VoiceEmbedding => ({
  audio_features: { type: 'float32', dims: [1, 2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6.5) },
  audio_tokens: { type: 'int64', dims: [1, 3], data: BigInt64Array.of(7n, 8n, 4299n) },
});

describe('VoiceStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'voice-store-')), 'voices');
  });
  afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }));

  it('stores a voice that a new store (a restarted server) lists and loads bit for bit', async () => {
    const store = new VoiceStore(dir, 4);
    await store.open();
    const voice = await store.create({ name: 'Ann', model: 'm', consent: 'cons_1' }, embedding());
    expect(voice.id).toMatch(/^voice_[0-9a-f]{32}$/);
    const reopened = new VoiceStore(dir, 4);
    await reopened.open();
    expect(reopened.list()).toEqual([voice]);
    expect(reopened.findByName('Ann')).toEqual(voice);
    const loaded = (await reopened.load(voice.id))!;
    expect(loaded.audio_features).toEqual({ type: 'float32', dims: [1, 2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6.5) });
    expect(loaded.audio_tokens.data).toEqual(BigInt64Array.of(7n, 8n, 4299n));
  });

  it('clears leftovers of interrupted writes and deletes at start, and ignores folders that are not voices', async () => {
    await mkdir(join(dir, '.tmp-voice_0123'), { recursive: true });
    await writeFile(join(dir, '.tmp-voice_0123', 'audio_features.bin'), 'partial');
    await mkdir(join(dir, '.trash-voice_4567'), { recursive: true });
    await mkdir(join(dir, 'voice_0123456789abcdef0123456789abcdef'), { recursive: true }); // no voice.json
    const store = new VoiceStore(dir, 4);
    await store.open();
    expect(store.list()).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['voice_0123456789abcdef0123456789abcdef']);
  });

  it('a failed write leaves nothing behind; delete removes everything', async () => {
    const store = new VoiceStore(dir, 4);
    await store.open();
    const bad: VoiceEmbedding = { ...embedding(), '../escape': { type: 'float32', dims: [1], data: Float32Array.of(1) } };
    await expect(store.create({ name: 'Bad', model: 'm', consent: 'c' }, bad)).rejects.toThrow(/cannot be stored/);
    expect(await readdir(dir)).toEqual([]);
    const voice = await store.create({ name: 'Ok', model: 'm', consent: 'c' }, embedding());
    expect(await store.delete(voice.id)).toBe(true);
    expect(await store.delete(voice.id)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    expect(store.list()).toEqual([]);
  });
});
