/**
 * The decoding core on real onnxruntime sessions of fixture exports: the KV-cached loop against a no-cache
 * recomputation, against transformers.js (an independent implementation of the same export contract), and with
 * float16 KV I/O.
 */
import './harness';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readWhisperConfigs, type WhisperConfigs } from '../../../plugins/whisper/configs';
import { buildPrefix, decodeWindow } from '../../../plugins/whisper/decode-window';
import { LogMelExtractor } from '../../../plugins/whisper/log-mel';
import { argmax, type LogitsRules } from '../../../plugins/whisper/logits';
import { WhisperDecoder, WhisperEncoder } from '../../../plugins/whisper/sessions';
import { whisperSpecialTokenIds } from '../../fixtures/whisper/generate-whisper';
import { audio, fixtureTokenizer, FixtureRoot } from './harness';

const ML = whisperSpecialTokenIds('multilingual');
const PREFIX = [ML.startOfTranscript, ML.languages.en, ML.transcribe, ML.noTimestamps];
const tokenizer = fixtureTokenizer();

interface Loaded {
  configs: WhisperConfigs;
  encoderSession: ort.InferenceSession;
  decoderSession: ort.InferenceSession;
  encoder: WhisperEncoder;
  decoder: WhisperDecoder;
}

async function load(dir: string): Promise<Loaded> {
  const configs = await readWhisperConfigs(dir);
  const encoderSession = await ort.InferenceSession.create(join(dir, 'onnx', 'encoder_model.onnx'));
  const decoderSession = await ort.InferenceSession.create(join(dir, 'onnx', 'decoder_model_merged.onnx'));
  const heads = configs.model.decoder_attention_heads;
  return {
    configs,
    encoderSession,
    decoderSession,
    encoder: new WhisperEncoder(encoderSession),
    decoder: new WhisperDecoder(decoderSession, { heads, headDim: configs.model.d_model / heads }),
  };
}

function rulesOf(configs: WhisperConfigs): LogitsRules {
  return { suppressTokens: configs.generation.suppress_tokens, beginSuppressTokens: configs.generation.begin_suppress_tokens };
}

function features(seconds: number): Float32Array {
  return new LogMelExtractor(80).compute(audio(seconds, 11));
}

async function ourGreedy(w: Loaded, feats: Float32Array, maxNewTokens: number): Promise<number[]> {
  const hidden = await w.encoder.encode(feats, 80);
  const result = await decodeWindow({
    decoder: w.decoder,
    encoderHidden: hidden,
    prefix: buildPrefix({ special: tokenizer.special, languageToken: ML.languages.en, taskToken: ML.transcribe, timestamps: false }),
    rules: rulesOf(w.configs),
    special: tokenizer.special,
    temperature: 0,
    random: Math.random,
    signal: new AbortController().signal,
    maxNewTokens,
    maxTargetPositions: w.configs.model.max_target_positions,
  });
  return result.tokens;
}

/** Greedy decoding that recomputes the whole sequence each step with the no-cache branch and empty pasts. */
async function noCacheGreedy(w: Loaded, feats: Float32Array, maxNewTokens: number): Promise<number[]> {
  const hidden = (await w.encoderSession.run({ input_features: new ort.Tensor('float32', feats, [1, 80, 3000]) })).last_hidden_state;
  const emptyPasts: Record<string, ort.Tensor> = {};
  for (const meta of w.decoderSession.inputMetadata) {
    if (!meta.name.startsWith('past_key_values.') || !meta.isTensor) continue;
    const dims = [1, meta.shape[1] as number, 0, meta.shape[3] as number];
    emptyPasts[meta.name] = meta.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
  }
  const hiddenType = w.decoderSession.inputMetadata.find((m) => m.name === 'encoder_hidden_states');
  expect(hiddenType).toMatchObject({ type: 'float32' });
  const sequence = [...PREFIX];
  const generated: number[] = [];
  for (let n = 0; n < maxNewTokens; n++) {
    const outputs = await w.decoderSession.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(sequence, BigInt), [1, sequence.length]),
      encoder_hidden_states: hidden,
      use_cache_branch: new ort.Tensor('bool', Uint8Array.of(0), [1]),
      ...emptyPasts,
    });
    const [, rows, vocab] = outputs.logits.dims;
    const last = Float32Array.from((outputs.logits.data as Float32Array).subarray((rows - 1) * vocab, rows * vocab));
    for (const t of w.configs.generation.suppress_tokens) last[t] = -Infinity;
    if (n === 0) for (const t of w.configs.generation.begin_suppress_tokens) last[t] = -Infinity;
    const next = argmax(last);
    if (next === ML.endOfText) break;
    generated.push(next);
    sequence.push(next);
  }
  return generated;
}

const root = new FixtureRoot();
beforeAll(() => root.open());
afterAll(() => root.close());

describe('KV-cached decoding', () => {
  it.each([
    ['float32', 'float32' as const],
    ['float16', 'float16' as const],
  ])('gives the same tokens as recomputing without the cache (%s KV)', async (_label, kvDtype) => {
    const id = await root.write(`kv-${kvDtype}`, { seed: 5, kvDtype });
    const w = await load(join(root.dir, id));
    try {
      expect(w.decoder.kvType).toBe(kvDtype);
      const feats = features(4);
      const cached = await ourGreedy(w, feats, 24);
      expect(cached.length).toBeGreaterThan(5);
      expect(cached).toEqual(await noCacheGreedy(w, feats, 24));
    } finally {
      await w.encoderSession.release();
      await w.decoderSession.release();
    }
  });
});

describe('agreement with transformers.js (oracle)', () => {
  it('greedy tokens without timestamps equal WhisperForConditionalGeneration.generate on the same features', async () => {
    const id = await root.write('oracle', { seed: 9 });
    const w = await load(join(root.dir, id));
    const tjs = await import('@huggingface/transformers');
    tjs.env.allowRemoteModels = false;
    tjs.env.localModelPath = `${root.dir}/`;
    const model = await tjs.WhisperForConditionalGeneration.from_pretrained(id, { dtype: 'fp32' });
    try {
      const maxNewTokens = 20;
      const feats = features(6);
      const ours = await ourGreedy(w, feats, maxNewTokens);
      const output = (await model.generate({
        input_features: new tjs.Tensor('float32', feats, [1, 80, 3000]),
        language: 'en',
        task: 'transcribe',
        max_new_tokens: maxNewTokens,
      })) as InstanceType<typeof tjs.Tensor>;
      const theirs = (output.tolist() as bigint[][])[0].map(Number);
      const expected = [...PREFIX, ...ours, ...(ours.length < maxNewTokens ? [ML.endOfText] : [])];
      expect(theirs).toEqual(expected);
    } finally {
      await model.dispose();
      await w.encoderSession.release();
      await w.decoderSession.release();
    }
  });
});
