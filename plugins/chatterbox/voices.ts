/**
 * Where a request's voice comes from:
 * - a cloned voice (`voice_…` or its name): the server passes the stored speech-encoder outputs along;
 * - a built-in name (alloy … cedar, dan, ghost — the original service's list): `voices/<name>.wav` in the model's
 *   folder, else the export's `default_voice.wav`; encoded once and kept in an LRU;
 * - neither: a 400 that says what to do.
 */
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginInputError, resample, type Pcm, type VoiceEmbedding, type VoiceInfo } from '../sdk';
import { SAMPLE_RATE, VOICE_OUTPUTS } from './constants';
import { voiceFromTensors, type ChatterboxVoice, type SpeechEncoder, type VoiceTensors } from './sessions';
import { readWav } from './wav';

/** The original service's voice names (api/voiceMap.py), OpenAI's among them. */
export const BUILT_IN_VOICES = ['alloy', 'ash', 'ballad', 'cedar', 'coral', 'dan', 'echo', 'fable', 'ghost', 'marin', 'nova', 'onyx', 'sage', 'shimmer', 'verse'];

/** Reference clips longer than this are cut: the encoder only looks at the first 10–15 s anyway. */
const MAX_REFERENCE_SECONDS = 15;

export function voiceInfos(modelDir: string, languages: string[]): VoiceInfo[] {
  const names = new Set(BUILT_IN_VOICES);
  try {
    for (const file of readdirSync(join(modelDir, 'voices'))) if (/^[\w-]+\.wav$/i.test(file)) names.add(file.slice(0, -4).toLowerCase());
  } catch {
    // No voices folder: the built-in names still answer through default_voice.wav, or with a clear 400.
  }
  return [...names].sort().map((id) => ({ id, name: id[0].toUpperCase() + id.slice(1), languages }));
}

export function embeddingFromTensors(tensors: VoiceTensors): VoiceEmbedding {
  const out: VoiceEmbedding = {};
  for (const name of VOICE_OUTPUTS) {
    const tensor = tensors[name];
    const data = tensor.type === 'int64' ? new BigInt64Array(tensor.data as BigInt64Array) : new Float32Array(floatData(tensor));
    out[name] = { type: tensor.type === 'int64' ? 'int64' : 'float32', dims: [...tensor.dims], data };
  }
  return out;
}

function floatData(tensor: ort.Tensor): Float32Array {
  return tensor.type === 'float32' ? (tensor.data as Float32Array) : Float32Array.from(tensor.data as ArrayLike<number>);
}

export function voiceFromEmbedding(embedding: VoiceEmbedding): ChatterboxVoice {
  const tensors = {} as VoiceTensors;
  for (const name of VOICE_OUTPUTS) {
    const stored = embedding[name];
    if (!stored) throw new PluginInputError(`The voice lacks '${name}': it was not made by a Chatterbox model.`, 'voice', 'invalid_voice');
    tensors[name] = stored.type === 'int64' ? new ort.Tensor('int64', stored.data as BigInt64Array, stored.dims) : new ort.Tensor('float32', stored.data as Float32Array, stored.dims);
  }
  return voiceFromTensors(tensors);
}

/** A mono clip at the encoder's 24 kHz, cut to MAX_REFERENCE_SECONDS. */
export function referenceSamples(pcm: Pcm): Float32Array {
  const at24k = pcm.sampleRate === SAMPLE_RATE ? pcm.samples : resample(pcm, SAMPLE_RATE).samples;
  return at24k.subarray(0, MAX_REFERENCE_SECONDS * SAMPLE_RATE);
}

export class BuiltInVoices {
  private readonly cache = new Map<string, Promise<ChatterboxVoice>>();

  constructor(
    private readonly modelDir: string,
    private readonly encoder: SpeechEncoder,
    private readonly capacity: number,
  ) {}

  /** The clip file a built-in or operator-provided name speaks with, if any. */
  clipFor(name: string): string | undefined {
    const own = join(this.modelDir, 'voices', `${name}.wav`);
    if (/^[\w-]+$/.test(name) && existsSync(own)) return own;
    const fallback = join(this.modelDir, 'default_voice.wav');
    return existsSync(fallback) ? fallback : undefined;
  }

  isKnown(name: string): boolean {
    return BUILT_IN_VOICES.includes(name) || (/^[\w-]+$/.test(name) && existsSync(join(this.modelDir, 'voices', `${name}.wav`)));
  }

  async get(name: string): Promise<ChatterboxVoice> {
    const voice = name.toLowerCase();
    if (!this.isKnown(voice)) throw new PluginInputError(`Unknown voice '${name}'. GET /v1/audio/voices lists the voices; clone one with POST /v1/audio/voices.`, 'voice', 'voice_not_found');
    const clip = this.clipFor(voice);
    if (!clip) {
      throw new PluginInputError(
        `Voice '${name}' has no reference clip: put a 5–15 s WAV at voices/${voice}.wav (or default_voice.wav) in this model's folder, or clone a voice with POST /v1/audio/voices and use its id.`,
        'voice',
        'voice_not_available',
      );
    }
    let entry = this.cache.get(clip);
    if (entry) {
      // Most recently used last: Map keeps insertion order.
      this.cache.delete(clip);
    } else {
      entry = this.load(clip);
      entry.catch(() => this.cache.delete(clip));
    }
    this.cache.set(clip, entry);
    while (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }

  private async load(clip: string): Promise<ChatterboxVoice> {
    const pcm = readWav(await readFile(clip));
    return voiceFromTensors(await this.encoder.encode(referenceSamples(pcm)));
  }
}
