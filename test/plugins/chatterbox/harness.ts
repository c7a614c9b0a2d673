/**
 * Drives the Chatterbox plugin directly (no engine threads) on fixture exports written by the fixture generator:
 * real onnxruntime-node sessions whose calls are recorded (feeds of embed_tokens, language_model and
 * conditional_decoder), a temp MODELS_DIR, a cloned test voice, and request helpers.
 */
import '../../fixtures/onnx/cross-realm-typed-arrays';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import chatterboxPlugin from '../../../plugins/chatterbox/plugin';
import type { ModelInfo, PluginContext, PluginInstance, SpeechRequest, VoiceEmbedding } from '../../../plugins/sdk';
import { CHATTERBOX_TEST_DIMS, SAMPLE_RATE, voiceLikeClip, writeChatterboxFixture, type ChatterboxFixtureOptions } from '../../fixtures/chatterbox/generate-chatterbox';
import { observedPluginContext, silentLog } from '../../utils/plugin-context';

export { silentLog } from '../../utils/plugin-context';

/** One recorded session call: its graph (by a distinctive input) and feeds as plain numbers. */
export interface RecordedCall {
  graph: 'speech_encoder' | 'embed_tokens' | 'language_model' | 'conditional_decoder';
  ints: Record<string, number[]>;
  /** Small float inputs (e.g. `exaggeration`). */
  floats: Record<string, number[]>;
  dims: Record<string, readonly number[]>;
  types: Record<string, string>;
}

export class CallLog {
  calls: RecordedCall[] = [];
  /** Called before each language-model run (tests abort from here). */
  onLmRun?: (count: number) => void;

  of(graph: RecordedCall['graph']): RecordedCall[] {
    return this.calls.filter((call) => call.graph === graph);
  }
}

function graphOf(session: ort.InferenceSession): RecordedCall['graph'] {
  const inputs = session.inputNames;
  if (inputs.includes('audio_values')) return 'speech_encoder';
  if (inputs.includes('speech_tokens')) return 'conditional_decoder';
  if (inputs.includes('inputs_embeds')) return 'language_model';
  return 'embed_tokens';
}

export function pluginContext(modelsDir: string, log?: CallLog): PluginContext {
  if (!log) return observedPluginContext(modelsDir);
  return observedPluginContext(modelsDir, (session, feeds) => {
    const graph = graphOf(session);
    const call: RecordedCall = { graph, ints: {}, floats: {}, dims: {}, types: {} };
    for (const [name, tensor] of Object.entries(feeds)) {
      call.dims[name] = tensor.dims;
      call.types[name] = tensor.type;
      if (tensor.type === 'int64') call.ints[name] = Array.from(tensor.data as BigInt64Array, Number);
      if (tensor.type === 'float32' && tensor.size <= 4) call.floats[name] = Array.from(tensor.data as Float32Array);
    }
    log.calls.push(call);
    if (graph === 'language_model') log.onLmRun?.(log.of('language_model').length);
  });
}

/** A temp MODELS_DIR that tests fill with fixture folders. */
export class FixtureRoot {
  dir = '';

  async open(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'chatterbox-plugin-'));
  }

  async close(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  async write(id: string, options: ChatterboxFixtureOptions): Promise<string> {
    await writeChatterboxFixture(join(this.dir, id), { dims: CHATTERBOX_TEST_DIMS, seed: 7, ...options });
    return id;
  }
}

export async function describeModel(modelsDir: string, id: string): Promise<ModelInfo> {
  const manifest = await chatterboxPlugin.describe({ modelsDir, log: silentLog });
  const info = manifest.models.find((model) => model.id === id);
  if (!info) throw new Error(`describe() did not list ${id}`);
  return info;
}

export async function loadModel(modelsDir: string, id: string, log?: CallLog): Promise<PluginInstance> {
  return chatterboxPlugin.create(pluginContext(modelsDir, log), await describeModel(modelsDir, id));
}

/** A cloned voice from a synthetic 6-s clip (what POST /v1/audio/voices stores). */
export async function cloneVoice(instance: PluginInstance, seconds = 6, seed = 3): Promise<VoiceEmbedding> {
  return instance.voiceCloning!.embed({ samples: voiceLikeClip(seconds, seed), sampleRate: SAMPLE_RATE }, new AbortController().signal);
}

export function speechRequest(input: string, embedding: VoiceEmbedding | undefined, overrides: Partial<SpeechRequest> = {}): SpeechRequest {
  return {
    model: 'm',
    input,
    voice: embedding ? 'voice_test' : 'alloy',
    speed: 1,
    extra: {},
    ...(embedding ? { customVoice: { id: 'voice_test', name: 'test', embedding } } : {}),
    ...overrides,
  };
}

/** Every chunk's samples, in order. */
export async function synthesizeChunks(instance: PluginInstance, request: SpeechRequest, signal = new AbortController().signal): Promise<Float32Array[]> {
  const chunks: Float32Array[] = [];
  for await (const chunk of instance.speech!.synthesize(request, signal)) {
    expect(chunk.sampleRate).toBe(SAMPLE_RATE);
    chunks.push(chunk.samples);
  }
  return chunks;
}

export function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export async function synthesize(instance: PluginInstance, request: SpeechRequest, signal?: AbortSignal): Promise<Float32Array> {
  return concat(await synthesizeChunks(instance, request, signal));
}
