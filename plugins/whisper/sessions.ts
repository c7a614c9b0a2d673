/**
 * The two onnxruntime sessions of a Whisper export and the merged decoder's call protocol (contract A2/A3).
 *
 * Nothing about the graphs is hard-coded beyond the export's naming conventions: which KV inputs exist, their dtype
 * (float32 or float16) and shapes, and whether cross-attention outputs exist are read from the sessions' metadata.
 */
import * as ort from 'onnxruntime-node';
import { emptyPast, floatTensor, tensorMetadata, tensorToFloat32 } from '../sdk/onnx-tensors';

function retype(tensor: ort.Tensor, type: ort.Tensor.Type): ort.Tensor {
  return tensor.type === type ? tensor : floatTensor(type, tensorToFloat32(tensor), tensor.dims);
}

export class WhisperEncoder {
  private readonly inputName: string;
  private readonly inputType: ort.Tensor.Type;
  private readonly outputName: string;

  constructor(readonly session: ort.InferenceSession) {
    this.inputName = session.inputNames.includes('input_features') ? 'input_features' : session.inputNames[0];
    this.inputType = tensorMetadata(session.inputMetadata, this.inputName)?.type ?? 'float32';
    this.outputName = session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : session.outputNames[0];
  }

  /** `features` is one window, `[nMels, frames]` row-major; returns `last_hidden_state` `[1, 1500, d_model]`. */
  async encode(features: Float32Array, nMels: number): Promise<ort.Tensor> {
    const frames = features.length / nMels;
    const outputs = await this.session.run({ [this.inputName]: floatTensor(this.inputType, features, [1, nMels, frames]) });
    return outputs[this.outputName];
  }
}

/** One layer's cross-attention weights of one call: `[heads, rows, frames]` float32, row-major. */
export interface CrossAttention {
  data: Float32Array;
  heads: number;
  rows: number;
  frames: number;
}

/** What one decoder call gives back. */
export interface DecoderOutput {
  /** `[rows, vocab]` float32 logits, one row per input id of this call. */
  logits: Float32Array;
  rows: number;
  vocab: number;
  /** Per decoder layer, when the export has cross_attentions outputs. */
  crossAttentions?: CrossAttention[];
}

interface KvPair {
  past: string;
  present: string;
  encoder: boolean;
}

export class WhisperDecoder {
  readonly hasCrossAttentions: boolean;
  readonly crossAttentionNames: string[];
  readonly kvType: ort.Tensor.Type;
  private readonly kv: KvPair[];
  private readonly idsName: string;
  private readonly hiddenName: string;
  private readonly hiddenType: ort.Tensor.Type;
  private readonly useCacheName: string | undefined;

  constructor(
    readonly session: ort.InferenceSession,
    private readonly dims: { heads: number; headDim: number },
  ) {
    const inputs = session.inputNames;
    const missing = ['input_ids', 'encoder_hidden_states'].filter((name) => !inputs.includes(name));
    if (missing.length > 0) throw new Error(`Whisper decoder: inputs ${missing.join(', ')} are missing (not a merged decoder export?)`);
    this.idsName = 'input_ids';
    this.hiddenName = 'encoder_hidden_states';
    this.hiddenType = tensorMetadata(session.inputMetadata, this.hiddenName)?.type ?? 'float32';
    this.useCacheName = inputs.includes('use_cache_branch') ? 'use_cache_branch' : undefined;
    this.kv = inputs
      .filter((name) => name.startsWith('past_key_values.'))
      .map((past) => ({ past, present: past.replace(/^past_key_values\./, 'present.'), encoder: past.includes('.encoder.') }));
    for (const { present } of this.kv) {
      if (!session.outputNames.includes(present)) throw new Error(`Whisper decoder: output ${present} is missing`);
    }
    this.kvType = this.kv.length > 0 ? (tensorMetadata(session.inputMetadata, this.kv[0].past)?.type ?? 'float32') : 'float32';
    this.crossAttentionNames = session.outputNames
      .filter((name) => /^cross_attentions\.\d+$/.test(name))
      .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    this.hasCrossAttentions = this.crossAttentionNames.length > 0;
  }

  /** Starts decoding one window against `encoderHidden` (the encoder's output for that window). */
  begin(encoderHidden: ort.Tensor): DecoderRun {
    return new DecoderRun(this, retype(encoderHidden, this.hiddenType));
  }

  /** @internal one session call; `past` undefined = the first call (no cache). */
  async call(ids: readonly number[], hidden: ort.Tensor, past: Map<string, ort.Tensor> | undefined): Promise<{ output: DecoderOutput; present: Map<string, ort.Tensor> }> {
    const feeds: Record<string, ort.Tensor> = {
      [this.idsName]: new ort.Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]),
      [this.hiddenName]: hidden,
    };
    if (this.useCacheName) feeds[this.useCacheName] = new ort.Tensor('bool', [past !== undefined], [1]);
    for (const pair of this.kv) feeds[pair.past] = past?.get(pair.past) ?? this.emptyPast(pair.past);
    const outputs = await this.session.run(feeds);
    const logitsTensor = outputs.logits;
    const [, rows, vocab] = logitsTensor.dims;
    const present = new Map<string, ort.Tensor>();
    for (const pair of this.kv) {
      // The with-past branch returns empty placeholders for the encoder KV: the first call's values stay valid.
      const keep = pair.encoder && past !== undefined ? past.get(pair.past) : outputs[pair.present];
      present.set(pair.past, keep!);
    }
    const output: DecoderOutput = { logits: tensorToFloat32(logitsTensor), rows, vocab };
    if (this.hasCrossAttentions) {
      output.crossAttentions = this.crossAttentionNames.map((name) => {
        const tensor = outputs[name];
        const [, heads, attnRows, frames] = tensor.dims;
        return { data: tensorToFloat32(tensor), heads, rows: attnRows, frames };
      });
    }
    return { output, present };
  }

  /** A `[1, heads, 0, headDim]` tensor of the input's dtype: "no past yet". */
  private emptyPast(name: string): ort.Tensor {
    return emptyPast(tensorMetadata(this.session.inputMetadata, name), this.dims, this.kvType);
  }
}

/** The KV-cached state of one window's decoding: the first `next()` takes the whole prefix, later ones one token. */
export class DecoderRun {
  private past: Map<string, ort.Tensor> | undefined;

  constructor(
    private readonly decoder: WhisperDecoder,
    private readonly hidden: ort.Tensor,
  ) {}

  async next(ids: readonly number[]): Promise<DecoderOutput> {
    const { output, present } = await this.decoder.call(ids, this.hidden, this.past);
    this.past = present;
    return output;
  }
}
