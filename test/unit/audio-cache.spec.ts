/**
 * AudioCache on a real folder, without a server: the failure paths a listening server cannot provoke on demand
 * (a body that fails half-way, a folder that vanishes mid-write) and the rule that only its own files are touched.
 */
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AudioCache } from '../../src/cache/audio-cache';

// The warnings these failure paths log are expected here; they would only clutter the test output.
Logger.overrideLogger(false);

const KEY = 'c'.repeat(64);
const chunks = [Buffer.from('first '), Buffer.from('second '), Buffer.from('third')];

let root: string;
let dir: string;
let cache: AudioCache;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'audio-cache-unit-'));
  dir = join(root, 'cache');
  cache = new AudioCache({ dir, retentionS: 60, maxBytes: 0, staleTempMs: 1000 });
  await cache.onModuleInit();
});

afterEach(async () => {
  await cache.onApplicationShutdown();
  rmSync(root, { recursive: true, force: true });
});

async function* produce(failAfter = Infinity): AsyncGenerator<Uint8Array> {
  for (const [index, chunk] of chunks.entries()) {
    if (index >= failAfter) throw new Error('the backend failed');
    yield chunk;
  }
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

describe('AudioCache', () => {
  it('stores a complete body and serves it back unchanged', async () => {
    expect(await cache.read(KEY)).toBeUndefined();
    expect((await collect(cache.record(KEY, produce()))).toString()).toBe('first second third');
    expect(readdirSync(dir)).toEqual([KEY]);
    expect((await collect((await cache.read(KEY))!)).toString()).toBe('first second third');
  });

  it('a body that fails half-way passes the error on and leaves no entry and no temp file', async () => {
    await expect(collect(cache.record(KEY, produce(2)))).rejects.toThrow('the backend failed');
    expect(readdirSync(dir)).toEqual([]);
    expect(await cache.read(KEY)).toBeUndefined();
  });

  it('a consumer that stops early leaves nothing', async () => {
    for await (const chunk of cache.record(KEY, produce())) {
      expect(readdirSync(dir)).toHaveLength(1); // the copy being written
      void chunk;
      break;
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a cache that cannot write (its folder gone) still delivers the whole body', async () => {
    rmSync(dir, { recursive: true });
    expect((await collect(cache.record(KEY, produce()))).toString()).toBe('first second third');
  });

  it('sweeps only its own names: entries and .tmp- files, never anything else in the folder', async () => {
    const old = new Date(Date.now() - 3_600_000);
    for (const name of [KEY, '.tmp-leftover', 'README', 'd'.repeat(63)]) {
      writeFileSync(join(dir, name), 'x');
      utimesSync(join(dir, name), old, old);
    }
    expect(await cache.sweep()).toEqual({ expired: 1, temps: 1, evicted: 0 });
    expect(readdirSync(dir).sort()).toEqual(['README', 'd'.repeat(63)]);
  });

  it('keeps the folder under maxBytes by deleting the oldest entries first, starting the sweep as an entry is stored', async () => {
    const capped = new AudioCache({ dir, retentionS: 60, maxBytes: 45, staleTempMs: 1000 });
    await capped.onModuleInit();
    try {
      const keys = ['1', '2', '3'].map((digit) => digit.repeat(64));
      for (const [index, key] of keys.entries()) {
        await collect(capped.record(key, (async function* () { yield Buffer.alloc(20, index); })()));
        // Backdated ten seconds apart (within retention), so which one is oldest is unambiguous.
        const then = new Date(Date.now() - (30 - 10 * index) * 1000);
        if (index < 2) utimesSync(join(dir, key), then, then);
      }
      await capped.sweep(); // joins the sweep the third write started (or runs one: the outcome is the same)
      expect(readdirSync(dir).sort()).toEqual([keys[1], keys[2]]);
    } finally {
      await capped.onApplicationShutdown();
    }
  });

  it('never uses a key that is not a sha256 hex digest as a path (nothing is written outside its folder)', async () => {
    await expect(collect(cache.record('../escape', produce()))).resolves.toBeDefined();
    expect(readdirSync(root)).toEqual(['cache']);
    expect(readdirSync(dir)).toEqual([]);
  });
});
