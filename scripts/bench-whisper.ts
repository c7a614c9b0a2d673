/**
 * Whisper benchmark at whisper-tiny's real dimensions (d 384, 4 + 4 layers, 6 heads, 80 mels, the multilingual
 * vocabulary), on a generated export with random weights, so the cost is representative without downloading a model:
 * log-mel features, encoder, ms per decoder step (the session alone, and with this project's logit processing), and
 * the resulting multiple of real time for a 30-s window. `npm run bench:whisper`; BENCH_DTYPE=float16 for fp16 KV.
 * Reports the best of several runs, since a shared machine adds noise only upwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readWhisperConfigs } from '../plugins/whisper/configs';
import { buildPrefix, decodeWindow } from '../plugins/whisper/decode-window';
import { LogMelExtractor, SAMPLE_RATE, WINDOW_SAMPLES } from '../plugins/whisper/log-mel';
import { argmax } from '../plugins/whisper/logits';
import { WhisperDecoder, WhisperEncoder } from '../plugins/whisper/sessions';
import { WhisperTokenizer } from '../plugins/whisper/tokenizer';
import { WHISPER_TINY_DIMS, writeWhisperFixture } from '../test/fixtures/whisper/generate-whisper';

const RUNS = 5;
const STEPS = 100;
/** Tokens a 30-s window of ordinary speech decodes to (about 150 words per minute, ~1.3 tokens per word). */
const TOKENS_PER_WINDOW = 100;

async function best(runs: number, body: () => Promise<unknown> | unknown): Promise<number> {
  await body(); // warm-up
  let fastest = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await body();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

function speechLike(seconds: number): Float32Array {
  const out = new Float32Array(seconds * SAMPLE_RATE);
  let seed = 1;
  for (let i = 0; i < out.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const t = i / SAMPLE_RATE;
    out[i] = 0.3 * Math.sin(2 * Math.PI * (180 * t + 3 * t * t)) + 0.02 * (seed / 2 ** 32 - 0.5);
  }
  return out;
}

async function main(): Promise<void> {
  const kvDtype = process.env.BENCH_DTYPE === 'float16' ? 'float16' : 'float32';
  const dir = await mkdtemp(join(tmpdir(), 'bench-whisper-'));
  try {
    const generating = performance.now();
    await writeWhisperFixture(dir, { ...WHISPER_TINY_DIMS, vocab: 'multilingual', seed: 1, kvDtype });
    console.log(`whisper-tiny-sized export (random weights, ${kvDtype} KV) written in ${((performance.now() - generating) / 1000).toFixed(1)} s`);
    const configs = await readWhisperConfigs(dir);
    const tokenizer = await WhisperTokenizer.fromFile(join(dir, 'tokenizer.json'));
    const encoderSession = await ort.InferenceSession.create(join(dir, 'onnx', 'encoder_model.onnx'));
    const decoderSession = await ort.InferenceSession.create(join(dir, 'onnx', 'decoder_model_merged.onnx'));
    const heads = configs.model.decoder_attention_heads;
    const encoder = new WhisperEncoder(encoderSession);
    const decoder = new WhisperDecoder(decoderSession, { heads, headDim: configs.model.d_model / heads });

    const audio = speechLike(30);
    const extractor = new LogMelExtractor(configs.model.num_mel_bins);
    const features = new Float32Array(extractor.outputLength);
    const featuresMs = await best(RUNS * 2, () => extractor.compute(audio, 0, features));
    const encoderMs = await best(RUNS, () => encoder.encode(features, configs.model.num_mel_bins));
    const hidden = await encoder.encode(features, configs.model.num_mel_bins);
    const special = tokenizer.special;
    const prefix = buildPrefix({ special, languageToken: tokenizer.languageToken('en'), taskToken: special.transcribe, timestamps: false });

    // The session alone: greedy argmax, no logit processing.
    const sessionStepMs = await best(RUNS, async () => {
      const run = decoder.begin(hidden);
      let output = await run.next(prefix.tokens);
      for (let step = 1; step < STEPS; step++) output = await run.next([argmax(output.logits.subarray((output.rows - 1) * output.vocab))]);
    });
    // The plugin's loop (suppression, log-probabilities, no-speech probability); <|endoftext|> is suppressed so every
    // run decodes exactly STEPS tokens.
    const rules = { suppressTokens: [...configs.generation.suppress_tokens, special.endOfText], beginSuppressTokens: configs.generation.begin_suppress_tokens };
    const signal = new AbortController().signal;
    const loopMs = await best(RUNS, () =>
      decodeWindow({ decoder, encoderHidden: hidden, prefix, rules, special, temperature: 0, random: Math.random, signal, maxNewTokens: STEPS, maxTargetPositions: configs.model.max_target_positions }),
    );
    const perStep = loopMs / STEPS;
    const windowMs = featuresMs + encoderMs + TOKENS_PER_WINDOW * perStep;
    const seconds = WINDOW_SAMPLES / SAMPLE_RATE;
    console.log(`features: ${featuresMs.toFixed(1)} ms per 30-s window (${configs.model.num_mel_bins} mels)`);
    console.log(`encoder:  ${encoderMs.toFixed(1)} ms per 30-s window`);
    console.log(`decoder:  ${perStep.toFixed(2)} ms per step (session alone ${(sessionStepMs / STEPS).toFixed(2)} ms; ${STEPS} steps, first one on the ${prefix.tokens.length}-token prompt)`);
    console.log(`window:   ${windowMs.toFixed(0)} ms for 30 s with ${TOKENS_PER_WINDOW} tokens = ${((seconds * 1000) / windowMs).toFixed(1)}x real time`);
    await encoderSession.release();
    await decoderSession.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
