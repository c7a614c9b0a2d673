/**
 * Whisper benchmark on a generated model with whisper-tiny's real dimensions (random weights, so its cost is
 * representative but its text is not). Run with `npm run bench:whisper` (or `node dist/scripts/bench-whisper.js`
 * after `tsc -p tsconfig.bench.json`). Takes about a minute; medians of a few runs after a warm-up.
 *
 * Prints: log-mel features ms per 30-s window (80 and 128 mels); encoder ms; ms per KV-cached decoder step; the
 * plugin's `transcribe` on 30 s of audio as a multiple of real time; and the same model through transformers.js
 * (encoder + greedy `generate`) against ours (encoder + `decodeWindow`) on the same features, with the ratio.
 *
 * The fixture's decoder is steered (`script`) to emit BENCH_TOKENS text tokens (default 96, about what 30 s of
 * speech gives) and then `<|endoftext|>`, so both implementations run exactly the same decoder steps; the bench
 * checks they emit the same tokens. The plugin runs with WHISPER_TEMPERATURE_FALLBACK=false (one greedy pass). All
 * sessions use onnxruntime's default options (as transformers.js does), so both get the same threads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { PluginContext } from '../plugins/sdk';
import { readWhisperConfigs } from '../plugins/whisper/configs';
import { buildPrefix, decodeWindow } from '../plugins/whisper/decode-window';
import { LogMelExtractor, SAMPLE_RATE, WINDOW_SAMPLES } from '../plugins/whisper/log-mel';
import whisperPlugin from '../plugins/whisper/plugin';
import { WhisperDecoder, WhisperEncoder } from '../plugins/whisper/sessions';
import { scriptAfterPrefix, WHISPER_TINY_DIMS, whisperSpecialTokenIds, whisperSuppressTokens, writeWhisperFixture } from '../test/fixtures/whisper/generate-whisper';
import { audio, describeModel, fixtureTokenizer, request } from '../test/plugins/whisper/harness';
import { observedPluginContext } from '../test/utils/plugin-context';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 96);
// One greedy pass per window, as in transformers.js: the steered text repeats a sentence, which the temperature
// fallback would (rightly) call a hallucination and decode again.
process.env.WHISPER_TEMPERATURE_FALLBACK = 'false';
const AUDIO_SECONDS = 30;
const RUNS = 3;
const FEATURE_WARMUP_RUNS = 3;
const FEATURE_TIMED_RUNS = 10;
const MODEL_ID = 'whisper-tiny-bench';

const ids = whisperSpecialTokenIds('multilingual');
/** The prompt both implementations start from: <|startoftranscript|><|en|><|transcribe|><|notimestamps|>. */
const PREFIX = [ids.startOfTranscript, ids.languages.en, ids.transcribe, ids.noTimestamps];

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number): string => `${value.toFixed(1)} ms`;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** Best and mean ms of computing one 30-s window, at offsets across a minute of audio. */
function benchFeatures(nMels: number): { best: number; mean: number } {
  const signal = audio(60); // windows at offsets across a minute
  const extractor = new LogMelExtractor(nMels);
  const out = new Float32Array(extractor.outputLength);
  for (let i = 0; i < FEATURE_WARMUP_RUNS; i++) extractor.compute(signal, 0, out);
  let best = Infinity;
  let total = 0;
  for (let i = 0; i < FEATURE_TIMED_RUNS; i++) {
    const start = performance.now();
    extractor.compute(signal, (i * SAMPLE_RATE * 3) % (signal.length - WINDOW_SAMPLES), out);
    const elapsed = performance.now() - start;
    best = Math.min(best, elapsed);
    total += elapsed;
  }
  return { best, mean: total / FEATURE_TIMED_RUNS };
}

/** TOKENS ordinary text tokens (none that generation_config suppresses), for the decoder to be steered through. */
function steeredText(): number[] {
  const suppressed = new Set(whisperSuppressTokens(ids));
  const words = fixtureTokenizer()
    .encode(' the quick brown fox jumps over the lazy dog while seven wizards quietly hex a jovial bank clerk')
    .filter((id) => !suppressed.has(id));
  return Array.from({ length: TOKENS }, (_, i) => words[i % words.length]);
}

/** Session runs timed per session kind: what the encoder and each decoder step cost inside the plugin. */
interface RunTimes {
  encoder: number[];
  /** One array per decoder pass; [0] is the prefix step, the rest are KV-cached single-token steps. */
  decoderPasses: number[][];
}

/** A CPU context like the test harness's (default session options), whose sessions record how long each run takes. */
function timingContext(modelsDir: string, times: RunTimes): PluginContext {
  return observedPluginContext(modelsDir, (session, feeds) => {
    const started = performance.now();
    return () => {
      const elapsed = performance.now() - started;
      if (!session.inputNames.includes('input_ids')) times.encoder.push(elapsed);
      // A prefix (more than one input token) starts a new pass.
      else if (feeds.input_ids.dims[1] > 1 || times.decoderPasses.length === 0) times.decoderPasses.push([elapsed]);
      else times.decoderPasses[times.decoderPasses.length - 1].push(elapsed);
    };
  });
}

interface PluginFigures {
  transcribeMs: number;
  encoderMs: number;
  prefixStepMs: number;
  cachedStepMs: number;
  /** The transcription's time outside session runs: features, logits processing, tokenizer, bookkeeping. */
  otherMs: number;
  steps: number;
  text: string;
}

async function benchPlugin(modelsDir: string): Promise<PluginFigures> {
  const times: RunTimes = { encoder: [], decoderPasses: [] };
  const instance = await whisperPlugin.create(timingContext(modelsDir, times), await describeModel(modelsDir, MODEL_ID));
  try {
    const samples = audio(AUDIO_SECONDS);
    const transcribe = () => instance.transcription!.transcribe(request(samples, { model: MODEL_ID }), new AbortController().signal);
    const { value: first } = await timed(transcribe); // warm-up
    times.encoder.length = 0;
    times.decoderPasses.length = 0;
    const totals: number[] = [];
    for (let i = 0; i < RUNS; i++) totals.push((await timed(transcribe)).ms);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const others = totals.map((total, i) => total - times.encoder[i] - sum(times.decoderPasses[i]));
    if (times.decoderPasses.length !== RUNS) throw new Error(`expected one decoder pass per transcription, saw ${times.decoderPasses.length}`);
    return {
      transcribeMs: median(totals),
      encoderMs: median(times.encoder),
      prefixStepMs: median(times.decoderPasses.map((pass) => pass[0])),
      cachedStepMs: median(times.decoderPasses.flatMap((pass) => pass.slice(1))),
      otherMs: median(others),
      steps: times.decoderPasses[0].length,
      text: first.text,
    };
  } finally {
    await instance.dispose?.();
  }
}

/** Ours (the plugin's encoder + decodeWindow) and transformers.js on the same features, same sessions' options. */
async function benchAgainstTransformers(modelsDir: string): Promise<{ oursMs: number; theirsMs: number; ours: number[]; theirs: number[] }> {
  const dir = join(modelsDir, MODEL_ID);
  const features = new LogMelExtractor(WHISPER_TINY_DIMS.numMelBins).compute(audio(AUDIO_SECONDS));
  const configs = await readWhisperConfigs(dir);
  const encoderSession = await ort.InferenceSession.create(join(dir, 'onnx', 'encoder_model.onnx'));
  const decoderSession = await ort.InferenceSession.create(join(dir, 'onnx', 'decoder_model_merged.onnx'));
  const heads = configs.model.decoder_attention_heads;
  const encoder = new WhisperEncoder(encoderSession);
  const decoder = new WhisperDecoder(decoderSession, { heads, headDim: configs.model.d_model / heads });
  const special = fixtureTokenizer().special;
  const ours = async (): Promise<number[]> => {
    const hidden = await encoder.encode(features, WHISPER_TINY_DIMS.numMelBins);
    const decoded = await decodeWindow({
      decoder,
      encoderHidden: hidden,
      prefix: buildPrefix({ special, languageToken: ids.languages.en, taskToken: ids.transcribe, timestamps: false }),
      rules: { suppressTokens: configs.generation.suppress_tokens, beginSuppressTokens: configs.generation.begin_suppress_tokens },
      special,
      temperature: 0,
      random: Math.random,
      signal: new AbortController().signal,
      maxTargetPositions: configs.model.max_target_positions,
    });
    return decoded.tokens;
  };

  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = `${modelsDir}/`;
  const model = await tjs.WhisperForConditionalGeneration.from_pretrained(MODEL_ID, { dtype: 'fp32' });
  const theirs = async (): Promise<number[]> => {
    const output = (await model.generate({
      input_features: new tjs.Tensor('float32', features, [1, WHISPER_TINY_DIMS.numMelBins, features.length / WHISPER_TINY_DIMS.numMelBins]),
      language: 'en',
      task: 'transcribe',
      max_new_tokens: TOKENS + 8, // the steering ends each run at TOKENS + <|endoftext|>; this is only a backstop
    })) as InstanceType<typeof tjs.Tensor>;
    return (output.tolist() as bigint[][])[0].map(Number);
  };

  try {
    const oursTokens = await ours(); // warm-ups
    const theirsTokens = await theirs();
    const oursTimes: number[] = [];
    const theirsTimes: number[] = [];
    // Interleaved, so a burst of load from elsewhere on the machine hits both alike.
    for (let i = 0; i < RUNS; i++) {
      oursTimes.push((await timed(ours)).ms);
      theirsTimes.push((await timed(theirs)).ms);
    }
    return { oursMs: median(oursTimes), theirsMs: median(theirsTimes), ours: oursTokens, theirs: theirsTokens };
  } finally {
    await model.dispose();
    await encoderSession.release();
    await decoderSession.release();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`whisper benchmark: ${os.availableParallelism()} cores, onnxruntime default session options, medians of ${RUNS} runs after a warm-up\n`);

  for (const nMels of [80, 128]) {
    const { best, mean } = benchFeatures(nMels);
    const realTime = ((WINDOW_SAMPLES / SAMPLE_RATE) * 1000) / best;
    console.log(`features, ${nMels} mels: ${ms(best)} per 30-s window (best of ${FEATURE_TIMED_RUNS}, mean ${ms(mean)}), ${realTime.toFixed(0)}× real time`);
  }

  const modelsDir = await mkdtemp(join(os.tmpdir(), 'ap-bench-whisper-'));
  try {
    const text = steeredText();
    const { ms: generateMs } = await timed(() =>
      writeWhisperFixture(join(modelsDir, MODEL_ID), {
        ...WHISPER_TINY_DIMS,
        vocab: 'multilingual',
        seed: 3,
        script: scriptAfterPrefix(PREFIX.length, [...text, ids.endOfText]),
      }),
    );
    const { dModel, encoderLayers, decoderLayers, encoderHeads } = WHISPER_TINY_DIMS;
    console.log(`\nmodel: whisper-tiny dimensions (d ${dModel}, ${encoderLayers}/${decoderLayers} layers, ${encoderHeads} heads, multilingual vocab), fp32, generated in ${(generateMs / 1000).toFixed(1)} s`);
    console.log(`decoder steered to ${TOKENS} text tokens + <|endoftext|> after the ${PREFIX.length}-token prefix\n`);

    const plugin = await benchPlugin(modelsDir);
    console.log(`plugin transcribe, ${AUDIO_SECONDS} s of audio (1 window): ${ms(plugin.transcribeMs)} → ${((AUDIO_SECONDS * 1000) / plugin.transcribeMs).toFixed(1)}× real time`);
    console.log(`  encoder (one 30-s window):        ${ms(plugin.encoderMs)}`);
    console.log(`  decoder, prefix step:             ${ms(plugin.prefixStepMs)}`);
    console.log(`  decoder, per KV-cached step:      ${ms(plugin.cachedStepMs)}   (${plugin.steps} decoder runs per window)`);
    console.log(`  outside session runs:             ${ms(plugin.otherMs)}   (features, logits processing, tokenizer)`);
    if (plugin.steps !== TOKENS + 1) console.log(`  (!) expected ${TOKENS + 1} decoder runs: the steering did not hold`);

    const { oursMs, theirsMs, ours, theirs } = await benchAgainstTransformers(modelsDir);
    const same = JSON.stringify([...PREFIX, ...ours, ids.endOfText]) === JSON.stringify(theirs);
    console.log(`\nencoder + greedy decoding of ${ours.length} tokens on the same features (tokens ${same ? 'identical' : 'DIFFERENT'}):`);
    console.log(`  ours (WhisperEncoder + decodeWindow):           ${ms(oursMs)}`);
    console.log(`  transformers.js (WhisperForConditionalGeneration.generate): ${ms(theirsMs)}`);
    console.log(`  ours / theirs: ${(oursMs / theirsMs).toFixed(2)}× (below 1 = ours faster)`);
    if (!same) console.log(`  ours:   ${ours.join(' ')}\n  theirs: ${theirs.join(' ')}`);
  } finally {
    await rm(modelsDir, { recursive: true, force: true });
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
