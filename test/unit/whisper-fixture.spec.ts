import '../fixtures/onnx/cross-realm-typed-arrays';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { toFloat16Bits } from '../fixtures/onnx/graph-builder';
import {
  scriptAfterPrefix,
  WHISPER_TEST_DIMS,
  whisperSpecialTokenIds,
  writeWhisperFixture,
  type WhisperFixtureOptions,
  type WhisperVocab,
} from '../fixtures/whisper/generate-whisper';
import { buildWhisperTokenizerJson } from '../fixtures/whisper/tokenizer-fixture';

type Feeds = Record<string, ort.Tensor>;
const ML = whisperSpecialTokenIds('multilingual');
const PREFIX = [ML.startOfTranscript, ML.languages.en, ML.transcribe, ML.noTimestamps];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'whisper-fixture-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let fixtureCount = 0;
async function fixture(options: Partial<WhisperFixtureOptions> = {}): Promise<string> {
  const dir = join(root, `model-${fixtureCount++}`);
  await writeWhisperFixture(dir, { ...WHISPER_TEST_DIMS, vocab: 'multilingual', ...options });
  return dir;
}

interface Whisper {
  encoder: ort.InferenceSession;
  decoder: ort.InferenceSession;
  release(): Promise<void>;
}

async function load(dir: string, suffix = ''): Promise<Whisper> {
  const encoder = await ort.InferenceSession.create(join(dir, 'onnx', `encoder_model${suffix}.onnx`));
  const decoder = await ort.InferenceSession.create(join(dir, 'onnx', `decoder_model_merged${suffix}.onnx`));
  return { encoder, decoder, release: async () => void (await Promise.all([encoder.release(), decoder.release()])) };
}

const { sin, cos } = Math; // a global lookup per call is slow inside jest's sandbox

/** Deterministic, non-trivial log-mel-like features. */
function features(batch = 1, mels = 80, phase = 0): ort.Tensor {
  const data = new Float32Array(batch * mels * 3000).map((_, i) => sin(i * 0.013 + phase) * 0.8 + cos(i * 0.0007));
  return new ort.Tensor('float32', data, [batch, mels, 3000]);
}

async function encode(w: Whisper, input = features()): Promise<ort.Tensor> {
  return (await w.encoder.run({ input_features: input })).last_hidden_state;
}

const bool = (value: boolean) => new ort.Tensor('bool', Uint8Array.of(value ? 1 : 0), [1]);
const ids = (tokens: number[]) => new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, tokens.length]);

function inputMeta(session: ort.InferenceSession, name: string): { type: string; shape: readonly (number | string)[] } {
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (!meta || !meta.isTensor) throw new Error(`no tensor input ${name}`);
  return { type: meta.type, shape: meta.shape };
}

/** Zero-length past tensors for the first call, shaped and typed from inputMetadata (the TJS protocol). */
function emptyPast(session: ort.InferenceSession, batch = 1): Feeds {
  const feeds: Feeds = {};
  for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
    const { type, shape } = inputMeta(session, name);
    const dims = shape.map((d) => (d === 'batch_size' ? batch : typeof d === 'string' ? 0 : d));
    feeds[name] = type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
  }
  return feeds;
}

/** One cached decoding session: first call without cache, then one token at a time, keeping the FIRST encoder KV. */
class CachedDecoder {
  private past: Feeds = {};
  private started = false;

  constructor(
    private readonly w: Whisper,
    private readonly encoded: ort.Tensor,
  ) {}

  /** Feeds `tokens` (the prefix on the first call, then one token) and returns every output. */
  async step(tokens: number[]): Promise<ort.InferenceSession.ReturnType> {
    const feeds: Feeds = {
      input_ids: ids(tokens),
      encoder_hidden_states: this.encoded,
      use_cache_branch: bool(this.started),
      ...(this.started ? this.past : emptyPast(this.w.decoder)),
    };
    const out = await this.w.decoder.run(feeds);
    for (const name of this.w.decoder.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
      const isEncoder = name.includes('.encoder.');
      if (!this.started || !isEncoder) this.past[name] = out[name.replace('past_key_values', 'present')];
    }
    this.started = true;
    return out;
  }
}

/** Logits row `row` of a [1, S, V] tensor. */
function logitsRow(logits: ort.Tensor, row: number): Float32Array {
  const vocab = logits.dims[2];
  return (logits.data as Float32Array).slice(row * vocab, (row + 1) * vocab);
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/**
 * Plain greedy decoding as transformers.js does it by default: suppress_tokens always, begin_suppress_tokens on
 * the first generated token, stop after eos (included) or `maxNewTokens`.
 */
async function greedy(w: Whisper, encoded: ort.Tensor, prefix: number[], maxNewTokens: number, generationConfig: Record<string, unknown>): Promise<number[]> {
  const suppress = generationConfig.suppress_tokens as number[];
  const beginSuppress = generationConfig.begin_suppress_tokens as number[];
  const eos = generationConfig.eos_token_id as number;
  const decoder = new CachedDecoder(w, encoded);
  const tokens = [...prefix];
  let feed = prefix;
  for (let n = 0; n < maxNewTokens; n++) {
    const { logits } = await decoder.step(feed);
    const last = logitsRow(logits, logits.dims[1] - 1);
    for (const t of suppress) last[t] = -Infinity;
    if (n === 0) for (const t of beginSuppress) last[t] = -Infinity;
    const next = argmax(last);
    tokens.push(next);
    if (next === eos) break;
    feed = [next];
  }
  return tokens;
}

async function readJson(dir: string, name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>;
}

describe('Whisper ONNX fixture', () => {
  let dir: string;
  let w: Whisper;
  beforeAll(async () => {
    dir = await fixture({ seed: 3 });
    w = await load(dir);
  });
  afterAll(async () => {
    await w.release();
  });

  it('writes the files of a public export', async () => {
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'generation_config.json', 'onnx', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect((await readdir(join(dir, 'onnx'))).sort()).toEqual(['decoder_model_merged.onnx', 'encoder_model.onnx']);
  });

  it('has the encoder contract: input_features [batch_size, 80, 3000] → last_hidden_state [batch, 1500, d]', async () => {
    expect(w.encoder.inputNames).toEqual(['input_features']);
    expect(w.encoder.outputNames).toEqual(['last_hidden_state']);
    expect(w.encoder.inputMetadata[0]).toMatchObject({ type: 'float32', shape: ['batch_size', 80, 3000] });
    const encoded = await encode(w, features(2));
    expect(encoded.dims).toEqual([2, 1500, 64]);
    expect((encoded.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('encodes each batch row on its own, and different audio differently', async () => {
    const both = (await encode(w, features(2))).data as Float32Array;
    const first = (await encode(w, features(1))).data as Float32Array;
    expect(maxAbsDiff(both.slice(0, first.length), first)).toBeLessThan(1e-4);
    const other = (await encode(w, features(1, 80, 1.5))).data as Float32Array;
    expect(maxAbsDiff(other, first)).toBeGreaterThan(1e-2);
  });

  it('has the merged decoder contract: names, dtypes (bool use_cache_branch) and symbolic dims', () => {
    const layerNames = (prefix: string) => [0, 1].flatMap((i) => ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value'].map((p) => `${prefix}.${i}.${p}`));
    expect(w.decoder.inputNames).toEqual(['input_ids', 'encoder_hidden_states', ...layerNames('past_key_values'), 'use_cache_branch']);
    expect(w.decoder.outputNames).toEqual(['logits', ...layerNames('present')]);
    expect(inputMeta(w.decoder, 'input_ids')).toEqual({ type: 'int64', shape: ['batch_size', 'decoder_sequence_length'] });
    expect(inputMeta(w.decoder, 'encoder_hidden_states')).toMatchObject({ type: 'float32' });
    expect(inputMeta(w.decoder, 'encoder_hidden_states').shape).toEqual(['batch_size', expect.anything(), 64]);
    expect(inputMeta(w.decoder, 'past_key_values.1.decoder.value')).toEqual({ type: 'float32', shape: ['batch_size', 1, 'past_decoder_sequence_length', 64] });
    expect(inputMeta(w.decoder, 'past_key_values.0.encoder.key')).toEqual({ type: 'float32', shape: ['batch_size', 1, 'encoder_sequence_length_out', 64] });
    expect(inputMeta(w.decoder, 'use_cache_branch')).toEqual({ type: 'bool', shape: [1] });
    const logits = w.decoder.outputMetadata.find((m) => m.name === 'logits');
    expect(logits).toMatchObject({ type: 'float32', shape: ['batch_size', 'decoder_sequence_length', 51865] });
  });

  it('decodes with the cache exactly as recomputing the whole sequence without it', async () => {
    const encoded = await encode(w);
    const sequence = [...PREFIX, 440, 1000, 2000, 3000, 50];
    const cached = new CachedDecoder(w, encoded);
    const stepLogits: Float32Array[] = [];
    const first = await cached.step(PREFIX);
    for (let r = 0; r < PREFIX.length; r++) stepLogits.push(logitsRow(first.logits, r));
    for (const token of sequence.slice(PREFIX.length, -1)) stepLogits.push(logitsRow((await cached.step([token])).logits, 0));

    const full = await w.decoder.run({ input_ids: ids(sequence.slice(0, -1)), encoder_hidden_states: encoded, use_cache_branch: bool(false), ...emptyPast(w.decoder) });
    expect(full.logits.dims).toEqual([1, sequence.length - 1, 51865]);
    stepLogits.forEach((row, position) => expect(maxAbsDiff(row, logitsRow(full.logits, position))).toBeLessThan(1e-4));
    // Not trivially equal rows: the model depends on the position and the tokens.
    expect(maxAbsDiff(stepLogits[4], stepLogits[5])).toBeGreaterThan(1e-3);
  });

  it('returns empty [0, H, 1, 64] present.*.encoder.* from the with-past branch, full ones from the first call', async () => {
    const cached = new CachedDecoder(w, await encode(w));
    const first = await cached.step(PREFIX);
    expect(first['present.0.encoder.key'].dims).toEqual([1, 1, 1500, 64]);
    expect(first['present.1.decoder.value'].dims).toEqual([1, 1, 4, 64]);
    const second = await cached.step([440]);
    expect(second['present.0.encoder.key'].dims).toEqual([0, 1, 1, 64]);
    expect(second['present.1.encoder.value'].dims).toEqual([0, 1, 1, 64]);
    expect(second['present.1.decoder.key'].dims).toEqual([1, 1, 5, 64]);
  });

  it('uses the encoder output: other audio gives other logits', async () => {
    const a = await w.decoder.run({ input_ids: ids(PREFIX), encoder_hidden_states: await encode(w), use_cache_branch: bool(false), ...emptyPast(w.decoder) });
    const b = await w.decoder.run({ input_ids: ids(PREFIX), encoder_hidden_states: await encode(w, features(1, 80, 2)), use_cache_branch: bool(false), ...emptyPast(w.decoder) });
    expect(maxAbsDiff(logitsRow(a.logits, 3), logitsRow(b.logits, 3))).toBeGreaterThan(1e-3);
  });

  it('gives the same weights for the same seed, other weights for another seed', async () => {
    const again = await load(await fixture({ seed: 3 }));
    const other = await load(await fixture({ seed: 4 }));
    const run = async (m: Whisper) => logitsRow((await m.decoder.run({ input_ids: ids(PREFIX), encoder_hidden_states: await encode(m), use_cache_branch: bool(false), ...emptyPast(m.decoder) })).logits, 3);
    const reference = await run(w);
    expect(maxAbsDiff(await run(again), reference)).toBe(0);
    expect(maxAbsDiff(await run(other), reference)).toBeGreaterThan(1e-3);
    await Promise.all([again.release(), other.release()]);
  });
});

describe('Whisper fixture variants', () => {
  it('follows a script: greedy decoding says the scripted tokens, then eos', async () => {
    const said = [1000, 2000, 440, 3000];
    const dir = await fixture({ script: scriptAfterPrefix(PREFIX.length, [...said, ML.endOfText]) });
    const w = await load(dir);
    const tokens = await greedy(w, await encode(w), PREFIX, 20, await readJson(dir, 'generation_config.json'));
    expect(tokens).toEqual([...PREFIX, ...said, ML.endOfText]);
    await w.release();
  });

  it('timestamped: outputs cross_attentions.{i} [1, H, seq, 1500] whose rows sum to 1, in both branches', async () => {
    const w = await load(await fixture({ timestamped: true, decoderHeads: 1 }));
    expect(w.decoder.outputNames.filter((n) => n.startsWith('cross_attentions.'))).toEqual(['cross_attentions.0', 'cross_attentions.1']);
    const cached = new CachedDecoder(w, await encode(w));
    for (const [tokens, rows] of [[PREFIX, 4], [[440], 1]] as const) {
      const out = await cached.step([...tokens]);
      const attention = out['cross_attentions.1'];
      expect(attention.dims).toEqual([1, 1, rows, 1500]);
      const data = attention.data as Float32Array;
      for (let r = 0; r < rows; r++) {
        const sum = data.slice(r * 1500, (r + 1) * 1500).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 4);
      }
    }
    await w.release();
  });

  it('float16 KV: past_key_values.* and present.* are tensor(float16), logits match the float32 model', async () => {
    const half = await load(await fixture({ kvDtype: 'float16', fileSuffix: '_fp16', seed: 9 }), '_fp16');
    const full = await load(await fixture({ seed: 9 }));
    for (const name of half.decoder.inputNames.filter((n) => n.startsWith('past_key_values.'))) expect(inputMeta(half.decoder, name).type).toBe('float16');
    for (const meta of half.decoder.outputMetadata) expect(meta).toMatchObject({ type: meta.name.startsWith('present.') ? 'float16' : 'float32' });
    expect(inputMeta(half.decoder, 'input_ids').type).toBe('int64');

    const encoded = await encode(full);
    const halfSteps = new CachedDecoder(half, encoded);
    const fullSteps = new CachedDecoder(full, encoded);
    for (const tokens of [PREFIX, [440], [1000]]) {
      const a = await halfSteps.step(tokens);
      const b = await fullSteps.step(tokens);
      expect(a['present.0.decoder.key'].type).toBe('float16');
      // KV rounded to half precision: close, not bit-equal.
      expect(maxAbsDiff(logitsRow(a.logits, 0), logitsRow(b.logits, 0))).toBeLessThan(2e-2);
    }
    await Promise.all([half.release(), full.release()]);
  });

  it('float16 KV accepts a float16 past it did not produce itself', async () => {
    const w = await load(await fixture({ kvDtype: 'float16' }));
    const past = emptyPast(w.decoder);
    const encoderKv = new ort.Tensor('float16', toFloat16Bits(new Float32Array(1500 * 64).fill(0.5)), [1, 1, 1500, 64]);
    for (const name of Object.keys(past)) if (name.includes('.encoder.')) past[name] = encoderKv;
    const out = await w.decoder.run({ input_ids: ids([440]), encoder_hidden_states: await encode(w), use_cache_branch: bool(true), ...past });
    expect(out.logits.dims).toEqual([1, 1, 51865]);
    expect((out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    await w.release();
  });

  it('external data: weights in .onnx_data sidecars, loaded from the file path, same outputs as inline weights', async () => {
    const dir = await fixture({ externalData: true, fileSuffix: '_quantized', seed: 5 });
    expect((await readdir(join(dir, 'onnx'))).sort()).toEqual([
      'decoder_model_merged_quantized.onnx',
      'decoder_model_merged_quantized.onnx_data',
      'encoder_model_quantized.onnx',
      'encoder_model_quantized.onnx_data',
    ]);
    const external = await load(dir, '_quantized');
    const inline = await load(await fixture({ seed: 5 }));
    const run = async (m: Whisper) => logitsRow((await m.decoder.run({ input_ids: ids(PREFIX), encoder_hidden_states: await encode(m), use_cache_branch: bool(false), ...emptyPast(m.decoder) })).logits, 3);
    expect(maxAbsDiff(await run(external), await run(inline))).toBe(0);
    await Promise.all([external.release(), inline.release()]);
  });

  it('128 mel bins (large-v3 layout): input_features [batch_size, 128, 3000]', async () => {
    const w = await load(await fixture({ numMelBins: 128, vocab: 'v3' }));
    expect(w.encoder.inputMetadata[0]).toMatchObject({ shape: ['batch_size', 128, 3000] });
    expect((await encode(w, features(1, 128))).dims).toEqual([1, 1500, 64]);
    expect(w.decoder.outputMetadata.find((m) => m.name === 'logits')).toMatchObject({ shape: ['batch_size', 'decoder_sequence_length', 51866] });
    await w.release();
  });

  it('rejects dims whose head size is not 64', async () => {
    await expect(writeWhisperFixture(join(root, 'bad'), { ...WHISPER_TEST_DIMS, dModel: 96, vocab: 'multilingual' })).rejects.toThrow(/64/);
  });
});

describe('Whisper fixture configs', () => {
  it.each([
    ['multilingual', 51865, 50257, 50258, 50359, 50363],
    ['v3', 51866, 50257, 50258, 50360, 50364],
    ['en', 51864, 50256, 50257, undefined, 50362],
  ] as const)('%s: config, generation_config and preprocessor_config carry the real keys and ids', async (vocab, vocabSize, eos, sot, transcribe, noTimestamps) => {
    const dir = await fixture({ vocab, numMelBins: vocab === 'v3' ? 128 : 80 });
    const config = await readJson(dir, 'config.json');
    expect(config).toMatchObject({ model_type: 'whisper', d_model: 64, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 1, decoder_attention_heads: 1 });
    expect(config).toMatchObject({ num_mel_bins: vocab === 'v3' ? 128 : 80, max_source_positions: 1500, max_target_positions: 448, vocab_size: vocabSize, median_filter_width: 7 });

    const generation = await readJson(dir, 'generation_config.json');
    expect(generation).toMatchObject({ decoder_start_token_id: sot, eos_token_id: eos, no_timestamps_token_id: noTimestamps, begin_suppress_tokens: [220, eos], max_length: 448 });
    expect(generation.max_initial_timestamp_index).toEqual(expect.any(Number));
    expect(generation.prev_sot_token_id).toBe(noTimestamps - 2);
    expect(generation.suppress_tokens).toEqual(expect.arrayContaining([1, 2, sot]));
    for (const [layer, head] of generation.alignment_heads as [number, number][]) {
      expect(layer).toBeGreaterThanOrEqual(0);
      expect(layer).toBeLessThan(2);
      expect(head).toBe(0);
    }
    if (vocab === 'en') {
      expect(generation.is_multilingual).toBe(false);
      expect(generation).not.toHaveProperty('lang_to_id');
      expect(generation).not.toHaveProperty('task_to_id');
    } else {
      expect(generation.is_multilingual).toBe(true);
      expect(generation.task_to_id).toEqual({ translate: (transcribe as number) - 1, transcribe });
      const langs = generation.lang_to_id as Record<string, number>;
      expect(langs['<|en|>']).toBe(sot + 1);
      expect(Object.keys(langs)).toHaveLength(vocab === 'v3' ? 100 : 99);
      if (vocab === 'v3') expect(langs['<|yue|>']).toBe(50358);
    }

    expect(await readJson(dir, 'preprocessor_config.json')).toMatchObject({
      feature_extractor_type: 'WhisperFeatureExtractor',
      feature_size: vocab === 'v3' ? 128 : 80,
      sampling_rate: 16000,
      n_fft: 400,
      hop_length: 160,
      chunk_length: 30,
      n_samples: 480000,
      nb_max_frames: 3000,
      padding_value: 0,
    });
    expect(await readJson(dir, 'tokenizer_config.json')).toMatchObject({ tokenizer_class: 'WhisperTokenizer' });
  });

  it.each(['multilingual', 'v3', 'en'] as const)('%s: tokenizer.json added tokens sit at the ids of the special-token table', (vocab: WhisperVocab) => {
    const table = whisperSpecialTokenIds(vocab);
    const tokenizer = buildWhisperTokenizerJson(vocab) as { added_tokens: { id: number; content: string }[]; model: { vocab: Record<string, number> } };
    const added = new Map(tokenizer.added_tokens.map((t) => [t.id, t.content]));
    expect(added).toEqual(table.contents);
    expect(Math.max(...added.keys()) + 1).toBe(table.vocabSize);
    expect(Object.keys(tokenizer.model.vocab).length + tokenizer.added_tokens.length - 1).toBe(table.vocabSize); // endoftext is in both
  });
});
