/**
 * OpenAI's `speed` for a model that has no rate control of its own: WSOLA time-stretching (waveform-similarity
 * overlap-add), which changes the tempo without changing the pitch and without resampling. Each frame is taken
 * where it best continues the previous one (within ±`TOLERANCE`), then overlap-added with a Hann window.
 */

/** 40 ms frames at 24 kHz, 50 % overlap; search ±10 ms. */
const FRAME = 960;
const HOP_OUT = FRAME / 2;
const TOLERANCE = 240;

const WINDOW = Float32Array.from({ length: FRAME }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME));

/** `samples` played `speed` times faster (0.25–4): about `length / speed` samples out. */
export function stretchTime(samples: Float32Array, speed: number): Float32Array {
  if (speed === 1 || samples.length < FRAME * 2) return speed === 1 ? samples : naiveStretch(samples, speed);
  const hopIn = HOP_OUT * speed;
  const outLength = Math.round(samples.length / speed);
  const out = new Float32Array(outLength + FRAME);
  const weight = new Float32Array(outLength + FRAME);
  let previous = 0;
  for (let k = 0; ; k++) {
    const outPos = k * HOP_OUT;
    if (outPos >= outLength) break;
    const nominal = Math.round(k * hopIn);
    let best = Math.min(nominal, samples.length - FRAME);
    if (k > 0) {
      const natural = previous + HOP_OUT;
      best = bestMatch(samples, natural, Math.max(0, nominal - TOLERANCE), Math.min(samples.length - FRAME, nominal + TOLERANCE), best);
    }
    if (best < 0) break;
    for (let i = 0; i < FRAME; i++) {
      out[outPos + i] += samples[best + i] * WINDOW[i];
      weight[outPos + i] += WINDOW[i];
    }
    previous = best;
  }
  for (let i = 0; i < out.length; i++) if (weight[i] > 1e-3) out[i] /= weight[i];
  return out.subarray(0, outLength);
}

/** The start in [from, to] whose frame correlates best with the frame at `natural` (the ideal continuation). */
function bestMatch(samples: Float32Array, natural: number, from: number, to: number, fallback: number): number {
  if (natural + FRAME > samples.length || from > to) return fallback;
  let best = fallback;
  let bestScore = -Infinity;
  for (let start = from; start <= to; start += 2) {
    let score = 0;
    for (let i = 0; i < FRAME; i += 4) score += samples[start + i] * samples[natural + i];
    if (score > bestScore) {
      bestScore = score;
      best = start;
    }
  }
  return best;
}

/** Clips too short for WSOLA frames: nearest-sample picking (they are a few tens of ms long). */
function naiveStretch(samples: Float32Array, speed: number): Float32Array {
  const out = new Float32Array(Math.round(samples.length / speed));
  for (let i = 0; i < out.length; i++) out[i] = samples[Math.min(samples.length - 1, Math.floor(i * speed))];
  return out;
}
