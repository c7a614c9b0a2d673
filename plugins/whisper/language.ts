/**
 * Which language a window is decoded in: the one the client named (ISO-639-1 code, or Whisper's English name such
 * as "german"), or the one the model detects (openai-whisper's detect_language: one decoder step on
 * `<|startoftranscript|>`, the likeliest language token wins). English-only (`.en`) models are always English.
 */
import type * as ort from 'onnxruntime-node';
import { PluginInputError } from '../sdk';
import type { WhisperDecoder } from './sessions';
import type { WhisperTokenizer } from './tokenizer';

/** Whisper's language codes → English names (openai-whisper's LANGUAGES; verbose_json reports these). */
export const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  en: 'english', zh: 'chinese', de: 'german', es: 'spanish', ru: 'russian', ko: 'korean', fr: 'french', ja: 'japanese',
  pt: 'portuguese', tr: 'turkish', pl: 'polish', ca: 'catalan', nl: 'dutch', ar: 'arabic', sv: 'swedish', it: 'italian',
  id: 'indonesian', hi: 'hindi', fi: 'finnish', vi: 'vietnamese', he: 'hebrew', uk: 'ukrainian', el: 'greek', ms: 'malay',
  cs: 'czech', ro: 'romanian', da: 'danish', hu: 'hungarian', ta: 'tamil', no: 'norwegian', th: 'thai', ur: 'urdu',
  hr: 'croatian', bg: 'bulgarian', lt: 'lithuanian', la: 'latin', mi: 'maori', ml: 'malayalam', cy: 'welsh', sk: 'slovak',
  te: 'telugu', fa: 'persian', lv: 'latvian', bn: 'bengali', sr: 'serbian', az: 'azerbaijani', sl: 'slovenian',
  kn: 'kannada', et: 'estonian', mk: 'macedonian', br: 'breton', eu: 'basque', is: 'icelandic', hy: 'armenian',
  ne: 'nepali', mn: 'mongolian', bs: 'bosnian', kk: 'kazakh', sq: 'albanian', sw: 'swahili', gl: 'galician',
  mr: 'marathi', pa: 'punjabi', si: 'sinhala', km: 'khmer', sn: 'shona', yo: 'yoruba', so: 'somali', af: 'afrikaans',
  oc: 'occitan', ka: 'georgian', be: 'belarusian', tg: 'tajik', sd: 'sindhi', gu: 'gujarati', am: 'amharic',
  yi: 'yiddish', lo: 'lao', uz: 'uzbek', fo: 'faroese', ht: 'haitian creole', ps: 'pashto', tk: 'turkmen', nn: 'nynorsk',
  mt: 'maltese', sa: 'sanskrit', lb: 'luxembourgish', my: 'myanmar', bo: 'tibetan', tl: 'tagalog', mg: 'malagasy',
  as: 'assamese', tt: 'tatar', haw: 'hawaiian', ln: 'lingala', ha: 'hausa', ba: 'bashkir', jw: 'javanese',
  su: 'sundanese', yue: 'cantonese',
};

const CODE_BY_NAME = new Map(Object.entries(LANGUAGE_NAMES).map(([code, name]) => [name, code]));

export function languageName(code: string): string {
  return LANGUAGE_NAMES[code] ?? code;
}

/**
 * The client's `language` as a code this model has a token for. Unknown or unsupported → 400 on `language`.
 * English-only models accept only English.
 */
export function resolveLanguage(requested: string, tokenizer: WhisperTokenizer, multilingual: boolean): string {
  const normalized = requested.trim().toLowerCase();
  const code = LANGUAGE_NAMES[normalized] !== undefined ? normalized : CODE_BY_NAME.get(normalized);
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
