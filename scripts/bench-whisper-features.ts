/**
 * Whisper feature-extraction benchmark: milliseconds per 30-s window of log-mel features (80 and 128 mels), and
 * the equivalent multiple of real time. Run with `npm run build && node dist/scripts/bench-whisper-features.js`.
 * Reports the best of several runs, since a shared machine adds noise only upwards.
 */
import { LogMelExtractor, SAMPLE_RATE, WINDOW_SAMPLES } from '../plugins/whisper/log-mel';

const WARMUP_RUNS = 3;
const TIMED_RUNS = 10;

/** A minute of a gliding tone with noise, so windows at several offsets carry real content. */
function testSignal(seconds: number): Float32Array {
  const out = new Float32Array(seconds * SAMPLE_RATE);
  let seed = 1;
  for (let i = 0; i < out.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const t = i / SAMPLE_RATE;
    out[i] = 0.3 * Math.sin(2 * Math.PI * (180 * t + 3 * t * t)) + 0.02 * (seed / 2 ** 32 - 0.5);
  }
  return out;
}

function main(): void {
  const audio = testSignal(60);
  for (const nMels of [80, 128]) {
    const extractor = new LogMelExtractor(nMels);
    const out = new Float32Array(extractor.outputLength);
    for (let i = 0; i < WARMUP_RUNS; i++) extractor.compute(audio, 0, out);
    let best = Infinity;
    let total = 0;
    for (let i = 0; i < TIMED_RUNS; i++) {
      const start = performance.now();
      extractor.compute(audio, (i * 16_000 * 3) % (audio.length - WINDOW_SAMPLES), out);
      const elapsed = performance.now() - start;
      best = Math.min(best, elapsed);
      total += elapsed;
    }
    const realTime = (WINDOW_SAMPLES / SAMPLE_RATE) * 1000 / best;
    console.log(`${nMels} mels: ${best.toFixed(1)} ms per 30-s window (best of ${TIMED_RUNS}, mean ${(total / TIMED_RUNS).toFixed(1)} ms), ${realTime.toFixed(0)}x real time`);
  }
}

main();
