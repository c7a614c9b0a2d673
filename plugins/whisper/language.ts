/**
 * Which language a window is decoded in: the one the client named (ISO-639-1 code, or Whisper's English name such
 * as "german"), or the one the model detects (openai-whisper's detect_language: one decoder step on
 * `<|startoftranscript|>`, the likeliest language token wins). English-only (`.en`) models are always English.
 */
import type * as ort from 'onnxruntime-node';
import { PluginInputError } from '../sdk';
import { LANGUAGES } from '../sdk/languages';
import type { WhisperDecoder } from './sessions';
import type { WhisperTokenizer } from './tokenizer';

const CODE_BY_NAME = new Map(Object.entries(LANGUAGES).map(([code, name]) => [name, code]));

/**
 * The client's `language` as a code this model has a token for. Unknown or unsupported → 400 on `language`.
 * English-only models accept only English.
 */
export function resolveLanguage(requested: string, tokenizer: WhisperTokenizer, multilingual: boolean): string {
  const normalized = requested.trim().toLowerCase();
  const code = LANGUAGES[normalized] !== undefined ? normalized : CODE_BY_NAME.get(normalized);
  if (!multilingual) {
    if (code === 'en') return 'en';
    throw new PluginInputError(`This model is English-only; language '${requested}' is not supported.`, 'language', 'unsupported_value');
  }
  if (code === undefined || tokenizer.languageToken(code) === undefined) {
    throw new PluginInputError(`Language '${requested}' is not supported by this model. Use an ISO-639-1 code such as 'en' or 'de'.`, 'language', 'unsupported_value');
  }
  return code;
}

/** The likeliest language of the window whose encoder output is `encoderHidden`. */
export async function detectLanguage(decoder: WhisperDecoder, encoderHidden: ort.Tensor, tokenizer: WhisperTokenizer): Promise<string> {
  const output = await decoder.begin(encoderHidden).next([tokenizer.special.startOfTranscript]);
  let best: string | undefined;
  let bestLogit = -Infinity;
  for (const [code, id] of tokenizer.languages) {
    const logit = output.logits[id];
    if (logit > bestLogit) {
      bestLogit = logit;
      best = code;
    }
  }
  return best ?? 'en';
}
