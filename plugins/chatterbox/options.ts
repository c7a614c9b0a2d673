/**
 * The request's generation settings, from the extra JSON fields of /v1/audio/speech. Defaults follow the public ONNX
 * examples: greedy with repetition penalty 1.2. Sampling starts when `temperature` > 0; top_k / top_p / min_p
 * then narrow it. `seed` makes sampling reproducible. Bad values are the client's fault (400).
 */
import { GREEDY, PluginInputError, seededRandom, type Random, type SamplingOptions } from '../sdk';

export interface ChatterboxOptions {
  sampling: SamplingOptions;
  repetitionPenalty: number;
  exaggeration: number;
  random: Random;
  /** Multilingual only; undefined = English. */
  language?: string;
}

function numberField(extra: Record<string, unknown>, name: string, min: number, max: number, fallback: number, integer = false): number {
  const value = extra[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new PluginInputError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}.`, name, 'invalid_value');
  }
  return value;
}

export function parseOptions(extra: Record<string, unknown>): ChatterboxOptions {
  const temperature = numberField(extra, 'temperature', 0, 5, 0);
  const seed = extra.seed === undefined || extra.seed === null ? undefined : numberField(extra, 'seed', -(2 ** 53), 2 ** 53, 0, true);
  const language = extra.language;
  if (language !== undefined && (typeof language !== 'string' || !/^[a-z]{2}$/.test(language))) {
    throw new PluginInputError('language must be a two-letter language code such as "fr".', 'language', 'invalid_value');
  }
  // Validated even when greedy makes them moot: a typo should not pass silently.
  const narrowing = {
    topK: numberField(extra, 'top_k', 0, 100_000, 0, true),
    topP: numberField(extra, 'top_p', 0, 1, 1),
    minP: numberField(extra, 'min_p', 0, 1, 0),
  };
  return {
    sampling: temperature > 0 ? { temperature, ...narrowing } : GREEDY,
    repetitionPenalty: numberField(extra, 'repetition_penalty', 1, 10, 1.2),
    exaggeration: numberField(extra, 'exaggeration', 0, 2, 0.5),
    // A seed fixes the whole request's draws (every chunk), independent of other requests on the worker.
    random: seed === undefined ? Math.random : seededRandom(seed),
    language,
  };
}
