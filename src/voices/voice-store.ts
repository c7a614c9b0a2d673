/**
 * Cloned voices on disk: `VOICES_DIR/<voice id>/voice.json` (id, name, model, created_at, consent, tensor layout)
 * plus one raw little-endian `<tensor>.bin` per speech-encoder output, and `sample.bin` when KEEP_VOICE_SAMPLES.
 * A voice appears atomically: it is written in a hidden temp folder and renamed into place; a deletion renames it
 * away first. Leftovers of an interrupted write or delete are cleared at start. Loaded conditioning is kept in an
 * LRU so a busy voice is not re-read for every request.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VoiceEmbedding, VoiceTensor } from '../../plugins/sdk';

export interface StoredVoice {
  id: string;
  name: string;
  /** The model whose speech encoder computed it (the only one that can speak with it). */
  model: string;
  /** Unix seconds. */
  created_at: number;
  consent: string;
}

interface VoiceFile extends StoredVoice {
  tensors: Record<string, { type: VoiceTensor['type']; dims: number[] }>;
}

const META = 'voice.json';
const TEMP_PREFIX = '.tmp-';
const TRASH_PREFIX = '.trash-';
const ID_PATTERN = /^voice_[0-9a-f]{32}$/;
const TENSOR_NAME = /^[A-Za-z0-9_.-]+$/;

export function isVoiceId(value: string): boolean {
  return ID_PATTERN.test(value);
}

function bytesOf(tensor: VoiceTensor): Uint8Array {
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}

function tensorFrom(type: VoiceTensor['type'], dims: number[], bytes: Buffer): VoiceTensor {
  // A fresh, aligned buffer: Buffer's pool offset may not be a multiple of 8.
  const copy = new Uint8Array(bytes).buffer;
  return { type, dims, data: type === 'int64' ? new BigInt64Array(copy) : new Float32Array(copy) };
}

export class VoiceStore {
  private readonly index = new Map<string, StoredVoice>();
  private readonly cache = new Map<string, VoiceEmbedding>();

  constructor(
    private readonly dir: string,
    private readonly cacheSize: number,
  ) {}

  /** Clears leftovers of interrupted writes and deletes, and indexes every stored voice. */
  async open(): Promise<void> {
    let entries;
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch {
      return; // created by the first voice
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      if (entry.name.startsWith(TEMP_PREFIX) || entry.name.startsWith(TRASH_PREFIX)) {
        await rm(join(this.dir, entry.name), { recursive: true, force: true });
        continue;
      }
      if (!isVoiceId(entry.name)) continue;
      try {
        const meta = JSON.parse(await readFile(join(this.dir, entry.name, META), 'utf8')) as VoiceFile;
        if (meta.id === entry.name) this.index.set(meta.id, { id: meta.id, name: meta.name, model: meta.model, created_at: meta.created_at, consent: meta.consent });
      } catch {
        // A folder without a readable voice.json is not a voice (never produced by create()).
      }
    }
  }

  list(): StoredVoice[] {
    return [...this.index.values()].sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
  }

  get(id: string): StoredVoice | undefined {
    return this.index.get(id);
  }

  findByName(name: string): StoredVoice | undefined {
    return this.list().find((voice) => voice.name === name);
  }

  async create(fields: Omit<StoredVoice, 'id' | 'created_at'>, embedding: VoiceEmbedding, sample?: Uint8Array): Promise<StoredVoice> {
    const id = `voice_${randomUUID().replace(/-/g, '')}`;
    const voice: StoredVoice = { id, ...fields, created_at: Math.floor(Date.now() / 1000) };
    const temp = join(this.dir, `${TEMP_PREFIX}${id}`);
    const meta: VoiceFile = { ...voice, tensors: {} };
    try {
      await mkdir(temp, { recursive: true });
      for (const [name, tensor] of Object.entries(embedding)) {
        if (!TENSOR_NAME.test(name) || name === 'sample' || name === 'voice') throw new Error(`voice tensor name '${name}' cannot be stored`);
        meta.tensors[name] = { type: tensor.type, dims: tensor.dims };
        await writeFile(join(temp, `${name}.bin`), bytesOf(tensor));
      }
      if (sample) await writeFile(join(temp, 'sample.bin'), sample);
      await writeFile(join(temp, META), JSON.stringify(meta, null, 2));
      await rename(temp, join(this.dir, id));
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
    this.index.set(id, voice);
    this.remember(id, embedding);
    return voice;
  }

  /** The voice's conditioning; undefined when the voice was deleted (also while it was being read). */
  async load(id: string): Promise<VoiceEmbedding | undefined> {
    const cached = this.cache.get(id);
    if (cached) {
      this.remember(id, cached);
      return cached;
    }
    const folder = join(this.dir, id);
    const embedding: VoiceEmbedding = {};
    try {
      const meta = JSON.parse(await readFile(join(folder, META), 'utf8')) as VoiceFile;
      for (const [name, layout] of Object.entries(meta.tensors)) {
        embedding[name] = tensorFrom(layout.type, layout.dims, await readFile(join(folder, `${name}.bin`)));
      }
    } catch (error) {
      // A deletion leaves the index before it touches the files: a voice gone from the index is gone, not broken.
      if (!this.index.has(id)) return undefined;
      throw error;
    }
    this.remember(id, embedding);
    return embedding;
  }

  /** False when there is no such voice. */
  async delete(id: string): Promise<boolean> {
    const voice = this.index.get(id);
    if (!voice) return false;
    // Out of the index first, so a read racing this deletion can tell a deleted voice from damaged files.
    this.index.delete(id);
    this.cache.delete(id);
    const trash = join(this.dir, `${TRASH_PREFIX}${id}`);
    try {
      await rename(join(this.dir, id), trash);
    } catch (error) {
      this.index.set(id, voice);
      throw error;
    }
    await rm(trash, { recursive: true, force: true });
    return true;
  }

  private remember(id: string, embedding: VoiceEmbedding): void {
    this.cache.delete(id);
    this.cache.set(id, embedding);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }
}
