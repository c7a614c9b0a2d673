/**
 * openai-whisper's temperature fallback: decode greedily first; when the result looks like a hallucination (too
 * repetitive: gzip compression ratio above the threshold; too unsure: average log-probability below it), decode
 * again at the next higher temperature. A window that the model itself calls silence is not retried.
 */
import { deflateSync } from 'node:zlib';

export interface FallbackSettings {
  /** false = one pass at the request's temperature. */
  enabled: boolean;
  compressionRatioThreshold: number;
  logprobThreshold: number;
  noSpeechThreshold: number;
}

/** openai-whisper's `temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0)`. */
export const FALLBACK_TEMPERATURES: readonly number[] = [0, 0.2, 0.4, 0.6, 0.8, 1];

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number; got '${raw}'.`);
  return value;
}

export function fallbackSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): FallbackSettings {
  const flag = (env.WHISPER_TEMPERATURE_FALLBACK ?? 'true').trim().toLowerCase();
  // The spellings the server's own boolean settings accept.
  if (!['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''].includes(flag)) throw new Error(`WHISPER_TEMPERATURE_FALLBACK must be true or false; got '${env.WHISPER_TEMPERATURE_FALLBACK}'.`);
  return {
    enabled: !['false', '0', 'no', 'off'].includes(flag),
    compressionRatioThreshold: envNumber(env, 'WHISPER_COMPRESSION_RATIO_THRESHOLD', 2.4),
    logprobThreshold: envNumber(env, 'WHISPER_LOGPROB_THRESHOLD', -1),
    noSpeechThreshold: envNumber(env, 'WHISPER_NO_SPEECH_THRESHOLD', 0.6),
  };
}

/** The temperatures to try, starting at the request's (openai-whisper's list from there on). */
export function temperatureSchedule(requested: number, settings: FallbackSettings): number[] {
  if (!settings.enabled) return [requested];
  return [requested, ...FALLBACK_TEMPERATURES.filter((t) => t > requested + 1e-9)];
}

/** openai-whisper's `compression_ratio`: UTF-8 bytes / zlib-compressed bytes. */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return 0;
  return bytes.length / deflateSync(bytes).length;
}

export interface Attempt {
  avgLogprob: number;
  noSpeechProb: number;
  compressionRatio: number;
}

/** Whether openai-whisper would decode this window again at a higher temperature. */
export function needsFallback(attempt: Attempt, settings: FallbackSettings): boolean {
  const tooRepetitive = attempt.compressionRatio > settings.compressionRatioThreshold;
  const tooUnsure = attempt.avgLogprob < settings.logprobThreshold;
  if (isSilence(attempt, settings)) return false;
  return tooRepetitive || tooUnsure;
}

/**
 * No speech: the model says so (no_speech_prob above threshold) and is not confident in what it decoded
 * (openai-whisper keeps the window only when avg_logprob is above the threshold).
 */
export function isSilence(attempt: Pick<Attempt, 'avgLogprob' | 'noSpeechProb'>, settings: FallbackSettings): boolean {
  return attempt.noSpeechProb > settings.noSpeechThreshold && !(attempt.avgLogprob > settings.logprobThreshold);
}

/**
 * Runs `decode` at each temperature until one passes; returns the last attempt (openai-whisper keeps the result of
 * the final temperature even when it still fails the checks).
 */
export async function decodeWithFallback<T extends Attempt>(
  requested: number,
  settings: FallbackSettings,
  decode: (temperature: number) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  for (const temperature of temperatureSchedule(requested, settings)) {
    result = await decode(temperature);
    if (!needsFallback(result, settings)) break;
  }
  return result!;
}
