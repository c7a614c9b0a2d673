/**
 * The four onnxruntime sessions of a Chatterbox export and their call protocols (contract B1–B4). Names, dtypes and
 * optional inputs are read from the sessions' metadata: the variant from embed_tokens' inputs, the KV cache (names,
 * float32 or float16) from the LM's `past_key_values.*` inputs, each mapped to its `present.*` output by name.
 */
import * as ort from 'onnxruntime-node';
import { emptyPast, floatTensor, int64Tensor, tensorMetadata, tensorToFloat32 } from '../sdk/onnx-tensors';
import { VOICE_OUTPUTS, type ChatterboxVariant } from './constants';

/** A voice: the speech encoder's four outputs for one reference clip (B1), as plain arrays. */
export interface ChatterboxVoice {
  /** `audio_features`: the LM's conditioning prefix, `[condLength, hidden]` row-major. */
  condEmbeddings: Float32Array;
  condLength: number;
  /** `audio_tokens`: the reference's S3 speech tokens, the decoder's prompt. */
  promptTokens: number[];
  /** `speaker_embeddings` `[1, 192]` and `speaker_features` `[1, frames, 80]`, fed to the decoder as they are. */
  speakerEmbeddings: ort.Tensor;
  speakerFeatures: ort.Tensor;
}

/** The speech encoder's outputs as they come out of the graph (what a stored voice keeps). */
export type VoiceTensors = Record<(typeof VOICE_OUTPUTS)[number], ort.Tensor>;

export function voiceFromTensors(tensors: VoiceTensors): ChatterboxVoice {
  for (const name of VOICE_OUTPUTS) if (!tensors[name]) throw new Error(`Chatterbox voice: ${name} is missing`);
  const features = tensors.audio_features;
  const dims = features.dims;
  return {
    condEmbeddings: tensorToFloat32(features),
    condLength: dims.length === 3 ? dims[1] : dims[0],
    promptTokens: Array.from(tensors.audio_tokens.data as BigInt64Array, Number),
    speakerEmbeddings: retypeFloat(tensors.speaker_embeddings),
    speakerFeatures: retypeFloat(tensors.speaker_features),
  };
}

function retypeFloat(tensor: ort.Tensor): ort.Tensor {
  return tensor.type === 'float32' ? tensor : new ort.Tensor('float32', tensorToFloat32(tensor), tensor.dims);
}

function requireNames(session: ort.InferenceSession, graph: string, inputs: string[], outputs: string[]): void {
  const missing = [...inputs.filter((name) => !session.inputNames.includes(name)), ...outputs.filter((name) => !session.outputNames.includes(name))];
  if (missing.length > 0) throw new Error(`Chatterbox ${graph}: ${missing.join(', ')} missing (not a Chatterbox ONNX export?)`);
}

export class SpeechEncoder {
  private readonly inputType: ort.Tensor.Type;

  constructor(readonly session: ort.InferenceSession) {
    requireNames(session, 'speech_encoder', ['audio_values'], [...VOICE_OUTPUTS]);
    this.inputType = tensorMetadata(session.inputMetadata, 'audio_values')?.type ?? 'float32';
  }

  /** `samples`: mono 24 kHz in [-1, 1]. */
  async encode(samples: Float32Array): Promise<VoiceTensors> {
    const outputs = await this.session.run({ audio_values: floatTensor(this.inputType, samples, [1, samples.length]) });
    return Object.fromEntries(VOICE_OUTPUTS.map((name) => [name, outputs[name]])) as VoiceTensors;
  }
}

export class TokenEmbedder {
  readonly variant: ChatterboxVariant;
  private readonly exaggerationType: ort.Tensor.Type;

  constructor(readonly session: ort.InferenceSession) {
    requireNames(session, 'embed_tokens', ['input_ids'], ['inputs_embeds']);
    const inputs = session.inputNames;
    this.variant = inputs.includes('position_ids') && inputs.includes('exaggeration') ? 'original' : 'turbo';
    this.exaggerationType = tensorMetadata(session.inputMetadata, 'exaggeration')?.type ?? 'float32';
  }

  /** `[1, ids.length, hidden]` embeddings, float32. `positions` and `exaggeration` are used by the original only. */
  async embed(ids: readonly number[], positions: readonly number[], exaggeration: number): Promise<{ data: Float32Array; hidden: number }> {
    const feeds: Record<string, ort.Tensor> = { input_ids: int64Tensor(ids) };
    if (this.variant === 'original') {
      feeds.position_ids = int64Tensor(positions);
      feeds.exaggeration = floatTensor(this.exaggerationType, Float32Array.of(exaggeration), [1]);
    }
    const out = (await this.session.run(feeds)).inputs_embeds;
    return { data: tensorToFloat32(out), hidden: out.dims[out.dims.length - 1] };
  }
}

/** What the LM gives back for one call. */
export interface LmOutput {
  /** The last position's logits. */
  logits: Float32Array;
  present: Map<string, ort.Tensor>;
}

export class LanguageModel {
  readonly hasPositionIds: boolean;
  readonly kvType: ort.Tensor.Type;
  readonly layers: number;
  private readonly embedsType: ort.Tensor.Type;
  private readonly kv: Array<{ past: string; present: string }>;

  constructor(
    readonly session: ort.InferenceSession,
    private readonly dims: { heads: number; headDim: number },
  ) {
    requireNames(session, 'language_model', ['inputs_embeds', 'attention_mask'], ['logits']);
    this.hasPositionIds = session.inputNames.includes('position_ids');
    this.embedsType = tensorMetadata(session.inputMetadata, 'inputs_embeds')?.type ?? 'float32';
    this.kv = session.inputNames
      .filter((name) => name.startsWith('past_key_values.'))
      .map((past) => ({ past, present: past.replace(/^past_key_values\./, 'present.') }));
    for (const { present } of this.kv) if (!session.outputNames.includes(present)) throw new Error(`Chatterbox language_model: output ${present} is missing`);
    this.layers = this.kv.length / 2;
    this.kvType = this.kv.length > 0 ? (tensorMetadata(session.inputMetadata, this.kv[0].past)?.type ?? 'float32') : 'float32';
  }

  /**
   * One forward pass over `embeds` (`[1, rows, hidden]`) with `attentionLength` ones of mask (past + rows);
   * `past` undefined = prefill (zero-length caches in each input's own dtype).
   */
  async run(embeds: Float32Array, hidden: number, attentionLength: number, positions: readonly number[], past: Map<string, ort.Tensor> | undefined): Promise<LmOutput> {
    const rows = embeds.length / hidden;
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: floatTensor(this.embedsType, embeds, [1, rows, hidden]),
      attention_mask: int64Tensor(new Array<number>(attentionLength).fill(1)),
    };
    if (this.hasPositionIds) feeds.position_ids = int64Tensor(positions);
    for (const { past: name } of this.kv) {
      feeds[name] = past?.get(name) ?? emptyPast(tensorMetadata(this.session.inputMetadata, name), this.dims, this.kvType);
    }
    const outputs = await this.session.run(feeds);
    const logitsTensor = outputs.logits;
    const vocab = logitsTensor.dims[logitsTensor.dims.length - 1];
    const all = tensorToFloat32(logitsTensor);
    // A copy: penalties edit it in place, and the session's buffer should not outlive this step.
    const logits = all.slice(all.length - vocab);
    const present = new Map<string, ort.Tensor>();
    for (const { past: name, present: out } of this.kv) present.set(name, outputs[out]);
    return { logits, present };
  }
}

export class ConditionalDecoder {
  constructor(readonly session: ort.InferenceSession) {
    requireNames(session, 'conditional_decoder', ['speech_tokens', 'speaker_embeddings', 'speaker_features'], ['waveform']);
  }

  /** `tokens` = the voice's prompt tokens + speech tokens (+ silence); returns 24 kHz samples for all but the prompt. */
  async decode(tokens: readonly number[], voice: ChatterboxVoice): Promise<Float32Array> {
    const outputs = await this.session.run({
      speech_tokens: int64Tensor(tokens),
      speaker_embeddings: voice.speakerEmbeddings,
      speaker_features: voice.speakerFeatures,
    });
    return tensorToFloat32(outputs.waveform);
  }
}
