/**
 * Token choice shared by the autoregressive plugins (Whisper, Chatterbox): argmax, a seedable uniform source, and
 * the HF-transformers logits warpers (repetition penalty, temperature, top-k, top-p, min-p) applied in HF's order.
 */

/** A source of uniform numbers in [0, 1): Math.random, or a seeded generator for reproducible runs. */
export type Random = () => number;

/** mulberry32: small, fast, good enough to make sampling reproducible from a seed. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * HF's RepetitionPenaltyLogitsProcessor, in place: each distinct id in `previous` has its score divided by `penalty`
 * when positive and multiplied when negative (so it always becomes less likely). 1 = off.
 */
export function applyRepetitionPenalty(logits: Float32Array, previous: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (const id of previous) {
    if (seen.has(id) || id < 0 || id >= logits.length) continue;
    seen.add(id);
    const score = logits[id];
    logits[id] = score < 0 ? score * penalty : score / penalty;
  }
}

export interface SamplingOptions {
  /** ≤ 0 = greedy (argmax); the other fields then do not matter. */
  temperature: number;
  /** Keep only the k likeliest (0 = off). */
  topK: number;
  /** Keep the smallest set whose probability reaches p (1 = off). */
  topP: number;
  /** Drop tokens below minP × the top probability (0 = off). */
  minP: number;
}

export const GREEDY: SamplingOptions = { temperature: 0, topK: 0, topP: 1, minP: 0 };

/**
 * Greedy when temperature ≤ 0; otherwise a draw from softmax(logits / temperature) after top-k, top-p and min-p,
 * in that order (HF's warper order). `logits` is not modified.
 */
export function sampleToken(logits: Float32Array, options: SamplingOptions, random: Random): number {
  if (options.temperature <= 0) return argmax(logits);
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  if (max === -Infinity) return argmax(logits);
  // Candidates sorted by descending probability: top-k / top-p are prefix cuts of this order.
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => logits[i] !== -Infinity);
  order.sort((a, b) => logits[b] - logits[a] || a - b);
  let kept = options.topK > 0 ? Math.min(options.topK, order.length) : order.length;
  const weights = new Float64Array(kept);
  let total = 0;
  for (let r = 0; r < kept; r++) {
    weights[r] = Math.exp((logits[order[r]] - max) / options.temperature);
    total += weights[r];
  }
  if (options.topP < 1) {
    // Keep tokens while the mass before them is below p (the top token always stays).
    let mass = 0;
    let cut = kept;
    for (let r = 0; r < kept; r++) {
      if (r > 0 && mass >= options.topP * total) {
        cut = r;
        break;
      }
      mass += weights[r];
    }
    kept = cut;
  }
  if (options.minP > 0) {
    const floor = options.minP * weights[0];
    let cut = 1;
    while (cut < kept && weights[cut] >= floor) cut++;
    kept = cut;
  }
  total = 0;
  for (let r = 0; r < kept; r++) total += weights[r];
  let target = random() * total;
  for (let r = 0; r < kept; r++) {
    target -= weights[r];
    if (target < 0) return order[r];
  }
  return order[kept - 1];
}
