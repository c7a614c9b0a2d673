/**
 * Logit processing and token choice for one decoding step, in the order HF-Python and transformers.js apply them
 * (contract A5): suppress_tokens, begin_suppress_tokens at the first sampled position, Whisper's timestamp rules,
 * then greedy (temperature 0) or sampling from softmax(logits / temperature).
 */
import { argmax, type Random } from '../sdk/sampling';

export { argmax, seededRandom, type Random } from '../sdk/sampling';

export interface TimestampRules {
  /** `<|0.00|>`; every id from here up is a timestamp. */
  timestampBegin: number;
  noTimestamps: number;
  endOfText: number;
  /** The first timestamp may be at most this many 0.02-s steps in (null = no cap). */
  maxInitialTimestampIndex: number | null;
}

export interface LogitsRules {
  suppressTokens: readonly number[];
  beginSuppressTokens: readonly number[];
  /** Present when decoding with timestamps. */
  timestamps?: TimestampRules;
}

/**
 * Applies every rule to `logits` (one row, modified in place). `sampled` are the tokens chosen so far in this window
 * (after the prefix): begin rules apply while it is empty.
 */
export function applyLogitsRules(logits: Float32Array, sampled: readonly number[], rules: LogitsRules): void {
  for (const id of rules.suppressTokens) if (id < logits.length) logits[id] = -Infinity;
  if (sampled.length === 0) for (const id of rules.beginSuppressTokens) if (id < logits.length) logits[id] = -Infinity;
  if (rules.timestamps) applyTimestampRules(logits, sampled, rules.timestamps);
}

/** openai-whisper's ApplyTimestampRules / HF-Python's WhisperTimeStampLogitsProcessor, with max_initial_timestamp. */
export function applyTimestampRules(logits: Float32Array, sampled: readonly number[], rules: TimestampRules): void {
  const { timestampBegin, noTimestamps, endOfText } = rules;
  const vocab = logits.length;
  logits[noTimestamps] = -Infinity;
  const count = sampled.length;
  const lastWasTimestamp = count >= 1 && sampled[count - 1] >= timestampBegin;
  const penultimateWasTimestamp = count < 2 || sampled[count - 2] >= timestampBegin;
  if (lastWasTimestamp) {
    // Timestamps come in pairs: after a closing pair only text; after an opening one, no text.
    if (penultimateWasTimestamp) logits.fill(-Infinity, timestampBegin, vocab);
    else logits.fill(-Infinity, 0, endOfText);
  }
  let lastTimestamp = -1;
  for (const id of sampled) if (id >= timestampBegin) lastTimestamp = id;
  if (lastTimestamp >= 0) {
    // Timestamps never decrease, and a segment must have a nonzero length (else decoding can loop forever).
    const floor = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1;
    logits.fill(-Infinity, timestampBegin, Math.min(floor, vocab));
  }
  if (count === 0) {
    logits.fill(-Infinity, 0, timestampBegin);
    if (rules.maxInitialTimestampIndex !== null) logits.fill(-Infinity, timestampBegin + rules.maxInitialTimestampIndex + 1, vocab);
  }
  // When the timestamps together are likelier than any single text token, a timestamp it is.
  const logprobs = logSoftmax(logits);
  let maxText = -Infinity;
  for (let i = 0; i < timestampBegin; i++) if (logprobs[i] > maxText) maxText = logprobs[i];
  if (logSumExp(logprobs, timestampBegin, vocab) > maxText) logits.fill(-Infinity, 0, timestampBegin);
}

export function logSumExp(values: ArrayLike<number>, from = 0, to = values.length): number {
  let max = -Infinity;
  for (let i = from; i < to; i++) if (values[i] > max) max = values[i];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = from; i < to; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}

export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  const norm = logSumExp(logits);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - norm;
  return out;
}

/** Greedy at temperature 0; otherwise a draw from softmax(logits / temperature) (openai-whisper's sampling). */
export function chooseToken(logits: Float32Array, temperature: number, random: Random): number {
  if (temperature <= 0) return argmax(logits);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const w = logits[i] === -Infinity ? 0 : Math.exp((logits[i] - max) / temperature);
    weights[i] = w;
    total += w;
  }
  let target = random() * total;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    target -= weights[i];
    if (target < 0) return i;
  }
  return argmax(logits);
}
