/**
 * Proves the Chatterbox fixture generator with real onnxruntime-node sessions: the public contracts (names,
 * dtypes, symbolic dims), the computations (KV-cached steps equal recomputation, layout-dependent embeddings,
 * decoder length per token), steering, and agreement with transformers.js (an independent driver of the same
 * export contract).
 */
import '../fixtures/onnx/cross-realm-typed-arrays';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  CHATTERBOX_TEST_DIMS,
  SILENCE_TOKEN,
  START_SPEECH_TOKEN,
  STOP_SPEECH_TOKEN,
  TURBO_TAGS,
  voiceLikeClip,
  writeChatterboxFixture,
  type ChatterboxFixtureOptions,
  type ChatterboxVariant,
} from '../fixtures/chatterbox/generate-chatterbox';
import {
  concatSequence,
  embed,
  emptyPast,
  encodeVoice,
  generateSpeechTokens,
  int64Tensor,
  loadChatterboxSessions,
  pastFromPresent,
  promptPositionIds,
  runReferenceLoop,
  type ChatterboxSessions,
  type Feeds,
  type Voice,
} from '../fixtures/chatterbox/reference-loop';
import { TransformersChatterbox } from '../fixtures/chatterbox/transformers-oracle';

/** Text ids then the two `<|endoftext|>` (the tokenizer's layout); any text ids will do for the graphs. */
const TURBO_PROMPT = [15496, 995, 13, 50256, 50256];
const ORIGINAL_PROMPT = [6563, 255, 20, 30, 2, 40, 9, 0, 6561, 6561];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chatterbox-fixture-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let fixtureCount = 0;
async function fixture(options: ChatterboxFixtureOptions): Promise<string> {
  const dir = join(root, `model-${fixtureCount++}`);
  await writeChatterboxFixture(dir, options);
  return dir;
}

const promptOf = (variant: ChatterboxVariant): number[] => (variant === 'turbo' ? TURBO_PROMPT : ORIGINAL_PROMPT);

function meta(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string): { type: string; shape: readonly (number | string)[] } {
  const m = metadata.find((x) => x.name === name);
  if (!m || !m.isTensor) throw new Error(`no tensor ${name}`);
  return { type: m.type, shape: m.shape };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function rows(t: ort.Tensor, from: number, to: number): Float32Array {
  const width = t.dims[t.dims.length - 1];
  return (t.data as Float32Array).slice(from * width, to * width);
}

async function readJson(dir: string, name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>;
}

const kvList = (prefix: string, layers: number) => Array.from({ length: layers }, (_, i) => [`${prefix}.${i}.key`, `${prefix}.${i}.value`]).flat();

describe.each(['turbo', 'original'] as const)('Chatterbox %s fixture', (variant) => {
  let dir: string;
  let s: ChatterboxSessions;
  let voice: Voice;
  const vocab = variant === 'turbo' ? 6563 : 8194;
  beforeAll(async () => {
    dir = await fixture({ variant, seed: 3 });
    // Some tests here make runs fail on purpose; the rejection is asserted, ORT's own error log is noise.
    s = await loadChatterboxSessions(dir, '', { logSeverityLevel: 4 });
    voice = await encodeVoice(s, voiceLikeClip(6, 1));
  });
  afterAll(async () => {
    await s.release();
  });

  it('writes the files of the public repo', async () => {
    const files = (await readdir(dir)).sort();
    const expected = ['config.json', 'generation_config.json', 'onnx', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
    expect(files).toEqual(variant === 'turbo' ? expected : [...expected, 'default_voice.wav'].sort());
    expect((await readdir(join(dir, 'onnx'))).sort()).toEqual(['conditional_decoder.onnx', 'embed_tokens.onnx', 'language_model.onnx', 'speech_encoder.onnx']);
    expect(await readJson(dir, 'config.json')).toMatchObject({ model_type: 'chatterbox', text_config: { model_type: variant === 'turbo' ? 'gpt2' : 'llama' } });
    expect(await readJson(dir, 'generation_config.json')).toMatchObject({ eos_token_id: STOP_SPEECH_TOKEN, repetition_penalty: 1.2 });
    expect(await readJson(dir, 'preprocessor_config.json')).toEqual({ feature_extractor_type: 'ChatterboxFeatureExtractor', processor_class: 'ChatterboxProcessor', sampling_rate: 24000 });
  });

  it('speech_encoder: audio_values [batch_size, num_samples] → the four conditioning outputs', async () => {
    expect(s.speechEncoder.inputNames).toEqual(['audio_values']);
    expect(meta(s.speechEncoder.inputMetadata, 'audio_values')).toEqual({ type: 'float32', shape: ['batch_size', 'num_samples'] });
    expect(s.speechEncoder.outputNames).toEqual(['audio_features', 'audio_tokens', 'speaker_embeddings', 'speaker_features']);
    expect(meta(s.speechEncoder.outputMetadata, 'audio_features')).toEqual({ type: 'float32', shape: ['batch_size', 'sequence_length', 128] });
    expect(meta(s.speechEncoder.outputMetadata, 'audio_tokens')).toEqual({ type: 'int64', shape: ['batch_size', 'audio_sequence_length'] });
    expect(meta(s.speechEncoder.outputMetadata, 'speaker_embeddings')).toEqual({ type: 'float32', shape: ['batch_size', 192] });
    expect(meta(s.speechEncoder.outputMetadata, 'speaker_features')).toEqual({ type: 'float32', shape: ['batch_size', 'feature_dim', 80] });
    // 6 s = 150 tokens at 25 Hz; 20 s is cut to the first 10 s (250 tokens, 500 frames); Turbo's prompt to 15 s (375).
    for (const [seconds, tokens, condLength] of [[6, 150, variant === 'turbo' ? 151 : 33], [20, 250, variant === 'turbo' ? 376 : 33]] as const) {
      const v = await encodeVoice(s, voiceLikeClip(seconds, 2));
      expect(v.audio_tokens.dims).toEqual([1, tokens]);
      expect(v.speaker_features.dims).toEqual([1, 2 * tokens, 80]);
      expect(v.speaker_embeddings.dims).toEqual([1, 192]);
      expect(v.audio_features.dims).toEqual([1, condLength, 128]);
      for (const id of v.audio_tokens.data as BigInt64Array) expect(id >= 0n && id < 6561n).toBe(true);
    }
  });

  it('speech_encoder: another voice gives other conditioning; audio_features carry no speech flag', async () => {
    const other = await encodeVoice(s, voiceLikeClip(6, 7));
    expect(maxAbsDiff(other.speaker_embeddings.data as Float32Array, voice.speaker_embeddings.data as Float32Array)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(other.audio_features.data as Float32Array, voice.audio_features.data as Float32Array)).toBeGreaterThan(1e-3);
    expect(Array.from(other.audio_tokens.data as BigInt64Array)).not.toEqual(Array.from(voice.audio_tokens.data as BigInt64Array));
    const d = voice.audio_features.dims[2];
    for (let i = 0; i < voice.audio_features.dims[1]; i++) expect((voice.audio_features.data as Float32Array)[i * d]).toBe(0);
  });

  it('embed_tokens: the variant\'s inputs, and speech vs text by the documented layout', async () => {
    const e = s.embedTokens;
    expect(e.outputNames).toEqual(['inputs_embeds']);
    expect(meta(e.outputMetadata, 'inputs_embeds')).toEqual({ type: 'float32', shape: ['batch_size', 'sequence_length', 128] });
    expect(meta(e.inputMetadata, 'input_ids')).toEqual({ type: 'int64', shape: ['batch_size', 'sequence_length'] });
    const prompt = promptOf(variant);
    const full = await embed(s, prompt, promptPositionIds(prompt), 0.5);
    expect(full.dims).toEqual([1, prompt.length, 128]);
    const flags = Array.from({ length: prompt.length }, (_, i) => (full.data as Float32Array)[i * 128]);
    // The two trailing positions (START) are speech, the text before is not.
    expect(flags).toEqual([...new Array<number>(prompt.length - 2).fill(0), 1, 1]);
    if (variant === 'turbo') {
      expect(e.inputNames).toEqual(['input_ids']);
      // A single id is a speech step: [[6561]] embeds exactly like the trailing 50256 of the prompt.
      expect(maxAbsDiff(rows(await embed(s, [START_SPEECH_TOKEN], [], 0), 0, 1), rows(full, prompt.length - 1, prompt.length))).toBe(0);
    } else {
      expect(e.inputNames).toEqual(['input_ids', 'position_ids', 'exaggeration']);
      expect(meta(e.inputMetadata, 'position_ids')).toEqual({ type: 'int64', shape: ['batch_size', 'sequence_length'] });
      expect(meta(e.inputMetadata, 'exaggeration')).toEqual({ type: 'float32', shape: ['batch_size'] });
      // Speech START at position 0 as a generation step equals the prompt's START rows; positions matter.
      expect(maxAbsDiff(rows(await embed(s, [START_SPEECH_TOKEN], [0], 0.5), 0, 1), rows(full, prompt.length - 1, prompt.length))).toBe(0);
      expect(maxAbsDiff(rows(await embed(s, [100], [1], 0.5), 0, 1), rows(await embed(s, [100], [2], 0.5), 0, 1))).toBeGreaterThan(1e-3);
      // 6563 is the emotion embedding: it follows exaggeration, nothing else does.
      const more = await embed(s, prompt, promptPositionIds(prompt), 1.5);
      expect(maxAbsDiff(rows(more, 0, 1), rows(full, 0, 1))).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(rows(more, 1, prompt.length), rows(full, 1, prompt.length))).toBe(0);
      // Without a 0 ([STOP]) every position is speech.
      const noStop = await embed(s, [20, 30], [1, 2], 0.5);
      expect([(noStop.data as Float32Array)[0], (noStop.data as Float32Array)[128]]).toEqual([1, 1]);
    }
  });

  it('language_model: names, dtypes and symbolic dims of the export', () => {
    const lm = s.languageModel;
    const position = variant === 'turbo' ? ['position_ids'] : [];
    expect(lm.inputNames).toEqual(['inputs_embeds', 'attention_mask', ...position, ...kvList('past_key_values', 2)]);
    expect(lm.outputNames).toEqual(['logits', ...kvList('present', 2)]);
    expect(meta(lm.inputMetadata, 'inputs_embeds')).toEqual({ type: 'float32', shape: ['batch_size', 'sequence_length', 128] });
    expect(meta(lm.inputMetadata, 'attention_mask')).toEqual({ type: 'int64', shape: ['batch_size', 'total_sequence_length'] });
    if (variant === 'turbo') expect(meta(lm.inputMetadata, 'position_ids')).toEqual({ type: 'int64', shape: ['batch_size', 'sequence_length'] });
    expect(meta(lm.inputMetadata, 'past_key_values.1.value')).toEqual({ type: 'float32', shape: ['batch_size', 2, 'past_sequence_length', 64] });
    expect(meta(lm.outputMetadata, 'present.0.key')).toEqual({ type: 'float32', shape: ['batch_size', 2, 'total_sequence_length', 64] });
    expect(meta(lm.outputMetadata, 'logits')).toEqual({ type: 'float32', shape: ['batch_size', 'sequence_length', vocab] });
  });

  it('language_model: KV-cached steps equal recomputing the whole sequence, and the cache grows by one per step', async () => {
    const lm = s.languageModel;
    const prompt = promptOf(variant);
    const steps = [11, 22, 33, 44];
    const prefill = concatSequence(voice.audio_features, await embed(s, prompt, promptPositionIds(prompt), 0.5));
    const prefillLength = prefill.dims[1];
    const run = (embeds: ort.Tensor, pastLength: number, past: Feeds) => {
      const total = pastLength + embeds.dims[1];
      const feeds: Feeds = { inputs_embeds: embeds, attention_mask: int64Tensor(new Array<number>(total).fill(1)), ...past };
      if (variant === 'turbo') feeds.position_ids = int64Tensor(Array.from({ length: embeds.dims[1] }, (_, i) => pastLength + i));
      return lm.run(feeds);
    };
    const stepEmbeds = await Promise.all(steps.map((t, i) => embed(s, [t], [i + 1], 0.5)));
    let out = await run(prefill, 0, emptyPast(lm));
    const cachedRows: Float32Array[] = [rows(out.logits, prefillLength - 1, prefillLength)];
    for (let i = 0; i < steps.length; i++) {
      out = await run(stepEmbeds[i], prefillLength + i, pastFromPresent(out));
      expect(out['present.1.value'].dims).toEqual([1, 2, prefillLength + i + 1, 64]);
      expect(out.logits.dims).toEqual([1, 1, vocab]);
      cachedRows.push(rows(out.logits, 0, 1));
    }
    const whole = stepEmbeds.reduce((acc, e) => concatSequence(acc, e), prefill);
    const full = await run(whole, 0, emptyPast(lm));
    cachedRows.forEach((row, i) => expect(maxAbsDiff(row, rows(full.logits, prefillLength - 1 + i, prefillLength + i))).toBeLessThan(1e-4));
    expect(maxAbsDiff(cachedRows[1], cachedRows[2])).toBeGreaterThan(1e-3);
  });

  it('language_model: batch rows are independent (two voices in one batch = each alone)', async () => {
    const lm = s.languageModel;
    const other = await encodeVoice(s, voiceLikeClip(6, 7));
    const prompt = promptOf(variant);
    const text = await embed(s, prompt, promptPositionIds(prompt), 0.5);
    const prefills = [concatSequence(voice.audio_features, text), concatSequence(other.audio_features, text)];
    const [length, width] = [prefills[0].dims[1], prefills[0].dims[2]];
    const feedsFor = (embeds: ort.Tensor, batch: number): Feeds => {
      const feeds: Feeds = { inputs_embeds: embeds, attention_mask: int64Tensor(new Array<number>(batch * length).fill(1), [batch, length]) };
      for (const [name, past] of Object.entries(emptyPast(lm))) feeds[name] = new ort.Tensor(past.type, new Float32Array(0), [batch, ...past.dims.slice(1)]);
      if (variant === 'turbo') feeds.position_ids = int64Tensor(Array.from({ length: batch * length }, (_, i) => i % length), [batch, length]);
      return feeds;
    };
    const both = new Float32Array(2 * length * width);
    prefills.forEach((p, i) => both.set(p.data as Float32Array, i * length * width));
    const batched = await lm.run(feedsFor(new ort.Tensor('float32', both, [2, length, width]), 2));
    expect(batched.logits.dims).toEqual([2, length, vocab]);
    for (const [i, p] of prefills.entries()) {
      const alone = (await lm.run(feedsFor(p, 1))).logits.data as Float32Array;
      expect(maxAbsDiff((batched.logits.data as Float32Array).slice(i * alone.length, (i + 1) * alone.length), alone)).toBeLessThan(1e-4);
    }
  });

  it('language_model: an attention_mask of the wrong length is an error, not silent garbage', async () => {
    const lm = s.languageModel;
    const embeds = await embed(s, [START_SPEECH_TOKEN], [0], 0.5);
    const feeds: Feeds = { inputs_embeds: embeds, attention_mask: int64Tensor([1, 1, 1]), ...emptyPast(lm) };
    if (variant === 'turbo') feeds.position_ids = int64Tensor([0]);
    await expect(lm.run(feeds)).rejects.toThrow();
  });

  it('conditional_decoder: 960 samples (40 ms at 24 kHz) per token after the prompt, ±1 token of context; silence is silent', async () => {
    const d = s.conditionalDecoder;
    expect(d.inputNames).toEqual(['speech_tokens', 'speaker_embeddings', 'speaker_features']);
    expect(meta(d.inputMetadata, 'speech_tokens')).toEqual({ type: 'int64', shape: ['batch_size', 'num_speech_tokens'] });
    expect(meta(d.inputMetadata, 'speaker_embeddings')).toEqual({ type: 'float32', shape: ['batch_size', 192] });
    expect(meta(d.inputMetadata, 'speaker_features')).toEqual({ type: 'float32', shape: ['batch_size', 'feature_dim', 80] });
    expect(d.outputNames).toEqual(['waveform']);
    expect(meta(d.outputMetadata, 'waveform')).toEqual({ type: 'float32', shape: ['batch_size', 'num_samples'] });
    const prompt = Array.from(voice.audio_tokens.data as BigInt64Array, Number);
    const decode = async (tokens: number[], v: Voice = voice) => (await d.run({ speech_tokens: int64Tensor([...prompt, ...tokens]), speaker_embeddings: v.speaker_embeddings, speaker_features: v.speaker_features })).waveform;
    const speech = [1, 2, 3, 4, 5];
    const wave = await decode([...speech, SILENCE_TOKEN, SILENCE_TOKEN, SILENCE_TOKEN]);
    expect(wave.dims).toEqual([1, 8 * 960]);
    const data = wave.data as Float32Array;
    expect(data.slice(5 * 960).every((x) => x === 0)).toBe(true);
    expect(data.slice(0, 5 * 960).some((x) => Math.abs(x) > 1e-3)).toBe(true);
    expect(data.every((x) => Math.abs(x) <= 1)).toBe(true);
    // Speaker conditioning changes the audio of the same tokens.
    const other = await encodeVoice(s, voiceLikeClip(6, 7));
    const otherPrompt = Array.from(other.audio_tokens.data as BigInt64Array, Number);
    const otherWave = (await d.run({ speech_tokens: int64Tensor([...otherPrompt, ...speech]), speaker_embeddings: other.speaker_embeddings, speaker_features: other.speaker_features })).waveform;
    expect(maxAbsDiff(otherWave.data as Float32Array, data.slice(0, 5 * 960))).toBeGreaterThan(1e-3);
    // Context of ±1 token: changing token 2 changes tokens 1..3's audio, not tokens 0 and 4.
    const plain = (await decode(speech)).data as Float32Array;
    const changed = (await decode([1, 2, 999, 4, 5])).data as Float32Array;
    const part = (x: Float32Array, token: number) => x.slice(token * 960, (token + 1) * 960);
    for (const token of [0, 4]) expect(maxAbsDiff(part(changed, token), part(plain, token))).toBe(0);
    for (const token of [1, 2, 3]) expect(maxAbsDiff(part(changed, token), part(plain, token))).toBeGreaterThan(1e-4);
    // Only 0..6560 are decoder tokens: START/STOP left in the sequence fail.
    await expect(decode([1, START_SPEECH_TOKEN])).rejects.toThrow();
    await expect(decode([1, STOP_SPEECH_TOKEN])).rejects.toThrow();
  });

  it('the official loop without a script is deterministic and depends on the voice', async () => {
    const inputIds = promptOf(variant);
    const logitsOf = (rows: Float32Array[]) => (row: Float32Array) => void rows.push(row);
    const [aRows, otherRows]: Float32Array[][] = [[], []];
    const a = await generateSpeechTokens(s, { inputIds, voice, maxNewTokens: 12, onLogits: logitsOf(aRows) });
    const b = await generateSpeechTokens(s, { inputIds, voice, maxNewTokens: 12 });
    await generateSpeechTokens(s, { inputIds, voice: await encodeVoice(s, voiceLikeClip(6, 7)), maxNewTokens: 1, onLogits: logitsOf(otherRows) });
    expect(a).toEqual(b);
    expect(a).toHaveLength(13);
    // Random weights, but trained-model manners: only decoder tokens (or STOP), never START or ids past STOP.
    for (const token of a.slice(1)) expect(token < START_SPEECH_TOKEN || token === STOP_SPEECH_TOKEN).toBe(true);
    expect(maxAbsDiff(otherRows[0], aRows[0])).toBeGreaterThan(1e-3);
  });
});

describe.each(['turbo', 'original'] as const)('Chatterbox %s steering', (variant) => {
  const said = [7, 7, 7, 1234, 6000, 7, SILENCE_TOKEN, 42];
  let s: ChatterboxSessions;
  beforeAll(async () => {
    s = await loadChatterboxSessions(await fixture({ variant, script: { tokens: [...said, STOP_SPEECH_TOKEN] } }));
  });
  afterAll(async () => {
    await s.release();
  });

  it('greedy decoding with the 1.2 penalty says the script (repeats included), then stops, for any voice and text', async () => {
    for (const [seconds, seed] of [[6, 1], [12, 5]] as const) {
      const voice = await encodeVoice(s, voiceLikeClip(seconds, seed));
      for (const inputIds of [promptOf(variant), variant === 'turbo' ? [40, 41, 42, 43, 44, 45, 50275, 50256, 50256] : [6563, 255, 14, 0, 6561, 6561]]) {
        const result = await runReferenceLoop(s, { inputIds, voice, maxNewTokens: 30 });
        expect(result.generated).toEqual([START_SPEECH_TOKEN, ...said, STOP_SPEECH_TOKEN]);
        expect(result.waveform.length).toBe((said.length + 3) * 960);
      }
    }
  });

  it('a loop that does not feed the cache back loses the script', async () => {
    const voice = await encodeVoice(s, voiceLikeClip(6, 1));
    const lm = s.languageModel;
    const inputIds = promptOf(variant);
    const prefill = concatSequence(voice.audio_features, await embed(s, inputIds, promptPositionIds(inputIds), 0.5));
    const first = await lm.run({ inputs_embeds: prefill, attention_mask: int64Tensor(new Array<number>(prefill.dims[1]).fill(1)), ...(variant === 'turbo' ? { position_ids: int64Tensor(Array.from({ length: prefill.dims[1] }, (_, i) => i)) } : {}), ...emptyPast(lm) });
    const argmaxLast = (t: ort.Tensor) => {
      const row = rows(t, t.dims[1] - 1, t.dims[1]);
      return row.indexOf(Math.max(...row));
    };
    expect(argmaxLast(first.logits)).toBe(said[0]);
    // Feeding the next token with an empty cache: the model no longer knows where it is in the script.
    const stale = await lm.run({ inputs_embeds: await embed(s, [said[0]], [1], 0.5), attention_mask: int64Tensor([1]), ...(variant === 'turbo' ? { position_ids: int64Tensor([prefill.dims[1]]) } : {}), ...emptyPast(lm) });
    expect(argmaxLast(stale.logits)).not.toBe(said[1]);
  });
});

describe('Chatterbox fixture options', () => {
  it('float16 KV: past/present are tensor(float16), the loop follows the same script with logits close to float32', async () => {
    const script = { tokens: [9, 8, 7, 9, STOP_SPEECH_TOKEN] };
    const half = await loadChatterboxSessions(await fixture({ variant: 'turbo', kvDtype: 'float16', fileSuffix: '_fp16', seed: 9, script }), '_fp16');
    const full = await loadChatterboxSessions(await fixture({ variant: 'turbo', seed: 9, script }));
    for (const m of half.languageModel.inputMetadata) expect(m).toMatchObject({ type: m.name.startsWith('past_key_values.') ? 'float16' : m.name === 'inputs_embeds' ? 'float32' : 'int64' });
    for (const m of half.languageModel.outputMetadata) expect(m).toMatchObject({ type: m.name.startsWith('present.') ? 'float16' : 'float32' });
    const voice = await encodeVoice(full, voiceLikeClip(6, 1));
    const halfRows: Float32Array[] = [];
    const fullRows: Float32Array[] = [];
    const a = await generateSpeechTokens(half, { inputIds: TURBO_PROMPT, voice, maxNewTokens: 10, onLogits: (row) => halfRows.push(row) });
    const b = await generateSpeechTokens(full, { inputIds: TURBO_PROMPT, voice, maxNewTokens: 10, onLogits: (row) => fullRows.push(row) });
    expect(a).toEqual([START_SPEECH_TOKEN, 9, 8, 7, 9, STOP_SPEECH_TOKEN]);
    expect(b).toEqual(a);
    halfRows.forEach((row, i) => expect(maxAbsDiff(row, fullRows[i])).toBeLessThan(5e-2));
    await Promise.all([half.release(), full.release()]);
  });

  it('logitBias: a constant preference that the repetition penalty visibly changes', async () => {
    const s = await loadChatterboxSessions(await fixture({ variant: 'original', logitBias: { 7: 60, 8: 55 } }));
    const voice = await encodeVoice(s, voiceLikeClip(6, 1));
    const penalised = await generateSpeechTokens(s, { inputIds: ORIGINAL_PROMPT, voice, maxNewTokens: 4 });
    const plain = await generateSpeechTokens(s, { inputIds: ORIGINAL_PROMPT, voice, maxNewTokens: 4, repetitionPenalty: 1 });
    expect(plain).toEqual([START_SPEECH_TOKEN, 7, 7, 7, 7]);
    expect(penalised).toEqual([START_SPEECH_TOKEN, 7, 8, 7, 7]); // each id is penalised once, however often it came
    await s.release();
  });

  it('decoderNoise: the waveform varies between runs (like the original CFM), its length does not', async () => {
    const s = await loadChatterboxSessions(await fixture({ variant: 'original', decoderNoise: 0.01 }));
    const voice = await encodeVoice(s, voiceLikeClip(6, 1));
    const feeds = { speech_tokens: int64Tensor([...Array.from(voice.audio_tokens.data as BigInt64Array, Number), 1, 2, 3]), speaker_embeddings: voice.speaker_embeddings, speaker_features: voice.speaker_features };
    const a = (await s.conditionalDecoder.run(feeds)).waveform;
    const b = (await s.conditionalDecoder.run(feeds)).waveform;
    expect(a.dims).toEqual([1, 3 * 960]);
    expect(maxAbsDiff(a.data as Float32Array, b.data as Float32Array)).toBeGreaterThan(1e-4);
    await s.release();
  });

  it('external data: .onnx_data sidecars beside every graph, loaded by path, same outputs as inline weights', async () => {
    const dir = await fixture({ variant: 'turbo', externalData: true, fileSuffix: '_q4f16', seed: 5, script: { tokens: [3, 2, 1, STOP_SPEECH_TOKEN] } });
    const names = ['conditional_decoder', 'embed_tokens', 'language_model', 'speech_encoder'];
    expect((await readdir(join(dir, 'onnx'))).sort()).toEqual(names.flatMap((n) => [`${n}_q4f16.onnx`, `${n}_q4f16.onnx_data`]));
    expect(await readJson(dir, 'config.json')).toMatchObject({ 'transformers.js_config': { use_external_data_format: { 'language_model_q4f16.onnx': 1 } } });
    const external = await loadChatterboxSessions(dir, '_q4f16');
    const inline = await loadChatterboxSessions(await fixture({ variant: 'turbo', seed: 5, script: { tokens: [3, 2, 1, STOP_SPEECH_TOKEN] } }));
    const clip = voiceLikeClip(6, 1);
    const a = await runReferenceLoop(external, { inputIds: TURBO_PROMPT, voice: await encodeVoice(external, clip), maxNewTokens: 10 });
    const b = await runReferenceLoop(inline, { inputIds: TURBO_PROMPT, voice: await encodeVoice(inline, clip), maxNewTokens: 10 });
    expect(a.generated).toEqual([START_SPEECH_TOKEN, 3, 2, 1, STOP_SPEECH_TOKEN]);
    expect(maxAbsDiff(a.waveform, b.waveform)).toBe(0);
    await Promise.all([external.release(), inline.release()]);
  });

  it('same seed, same model; another seed, other weights', async () => {
    const encodeWith = async (seed: number) => {
      const s = await loadChatterboxSessions(await fixture({ variant: 'turbo', seed }));
      const v = await encodeVoice(s, voiceLikeClip(6, 1));
      const tokens = await generateSpeechTokens(s, { inputIds: TURBO_PROMPT, voice: v, maxNewTokens: 6 });
      await s.release();
      return { features: v.audio_features.data as Float32Array, tokens };
    };
    const [a, again, other] = [await encodeWith(4), await encodeWith(4), await encodeWith(6)];
    expect(maxAbsDiff(again.features, a.features)).toBe(0);
    expect(again.tokens).toEqual(a.tokens);
    expect(maxAbsDiff(other.features, a.features)).toBeGreaterThan(1e-3);
    expect(other.tokens).not.toEqual(a.tokens);
  });

  it('multilingual: original graphs with the 2454-id tokenizer, no config.json, a default voice', async () => {
    const dir = await fixture({ variant: 'multilingual' });
    expect((await readdir(dir)).sort()).toEqual(['default_voice.wav', 'generation_config.json', 'onnx', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    const s = await loadChatterboxSessions(dir);
    expect(s.embedTokens.inputNames).toEqual(['input_ids', 'position_ids', 'exaggeration']);
    expect(s.languageModel.inputNames).not.toContain('position_ids');
    const wav = await readFile(join(dir, 'default_voice.wav'));
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(24000);
    expect(wav.readUInt32LE(40)).toBe(8 * 24000 * 2);
    await s.release();
  });

  it('rejects dims whose head size is not 64 and script ids outside the speech vocabulary', async () => {
    await expect(writeChatterboxFixture(join(root, 'bad'), { variant: 'turbo', dims: { ...CHATTERBOX_TEST_DIMS, hiddenSize: 96 } })).rejects.toThrow(/64/);
    await expect(writeChatterboxFixture(join(root, 'bad'), { variant: 'turbo', script: { tokens: [6563] } })).rejects.toThrow(/6563/);
    await expect(writeChatterboxFixture(join(root, 'bad'), { variant: 'original', script: { tokens: [START_SPEECH_TOKEN] } })).rejects.toThrow(/6561/);
  });
});

describe('Chatterbox tokenizers (tokenized by transformers.js)', () => {
  async function tokenizerFor(variant: ChatterboxVariant): Promise<(text: string) => number[]> {
    const dir = await fixture({ variant, dims: { ...CHATTERBOX_TEST_DIMS, layers: 1 } });
    const tjs = await import('@huggingface/transformers');
    tjs.env.allowRemoteModels = false;
    tjs.env.localModelPath = `${root}/`;
    const tokenizer = await tjs.AutoTokenizer.from_pretrained(dir.slice(root.length + 1));
    return (text) => (tokenizer(text).input_ids.tolist() as bigint[][])[0].map(Number);
  }

  it('Turbo: GPT-2 ids, paralinguistic tags as single tokens 50257..50275, two <|endoftext|> appended', async () => {
    const encode = await tokenizerFor('turbo');
    const hi = encode('Hi');
    expect(hi.slice(-2)).toEqual([50256, 50256]);
    expect(hi.slice(0, -2).every((id) => id < 50256)).toBe(true);
    const tagged = encode('Oh [laugh] that is [chuckle] funny [clear throat]');
    expect(tagged).toEqual(expect.arrayContaining([50275, 50274, 50267]));
    TURBO_TAGS.forEach((tag, i) => expect(encode(tag)).toEqual([50257 + i, 50256, 50256]));
  });

  it('original: [6563, 255, …text…, 0, 6561, 6561] with spaces as [SPACE]', async () => {
    const encode = await tokenizerFor('original');
    const ids = encode('Hello world');
    expect(ids.slice(0, 2)).toEqual([6563, 255]);
    expect(ids.slice(-3)).toEqual([0, 6561, 6561]);
    const text = ids.slice(2, -3);
    expect(text.filter((id) => id === 2)).toHaveLength(1); // one [SPACE] token for the one space
    expect(Math.max(...text)).toBeLessThan(704);
  });

  it('multilingual: a [xx] language prefix is one token', async () => {
    const encode = await tokenizerFor('multilingual');
    const fr = encode('[fr]Bonjour');
    const en = encode('[en]Bonjour');
    expect(fr.slice(0, 2)).toEqual([6563, 255]);
    expect(fr.length).toBe(en.length);
    expect(fr[2]).not.toBe(en[2]);
    expect(fr[2]).toBeGreaterThanOrEqual(704);
    expect(fr[2]).toBeLessThan(2454);
    expect(fr.slice(3)).toEqual(en.slice(3));
  });
});

describe('agreement with transformers.js ChatterboxModel (oracle)', () => {
  it.each(['turbo', 'original'] as const)('%s: generate() gives the reference loop\'s tokens and waveform (card penalty via a logits processor)', async (variant) => {
    const dir = await fixture({ variant, seed: 11 });
    const oracle = await TransformersChatterbox.load(root, dir.slice(root.length + 1));
    const s = await loadChatterboxSessions(dir);
    try {
      const clip = voiceLikeClip(6, 2);
      const maxNewTokens = 16;
      const theirs = await oracle.generate({ text: 'Hello world.', clip, maxNewTokens, penalty: 'card' });

      const voice = await encodeVoice(s, clip);
      const generated = await generateSpeechTokens(s, { inputIds: theirs.inputIds, voice, maxNewTokens });
      expect(generated).toHaveLength(maxNewTokens + 1);
      expect(generated).toEqual([START_SPEECH_TOKEN, ...theirs.generated]);
      // transformers.js always drops the last generated token (assumed STOP), so decode the same tokens.
      const speech = [...Array.from(voice.audio_tokens.data as BigInt64Array, Number), ...generated.slice(1, -1), SILENCE_TOKEN, SILENCE_TOKEN, SILENCE_TOKEN];
      const ours = (await s.conditionalDecoder.run({ speech_tokens: int64Tensor(speech), speaker_embeddings: voice.speaker_embeddings, speaker_features: voice.speaker_features })).waveform;
      expect(maxAbsDiff(theirs.waveform, ours.data as Float32Array)).toBeLessThan(1e-4);
    } finally {
      await oracle.dispose();
      await s.release();
    }
  });
});
