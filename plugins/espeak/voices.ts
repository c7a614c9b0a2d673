/**
 * Which eSpeak voice, variant and pitch each `voice` a client may send stands for.
 *
 * Two kinds of ids are accepted:
 *  - OpenAI's voice names (plus `dan` and `ghost` from the original Pollinations service), each a fixed, distinct
 *    English voice: language voice + variant (`+m3`, `+f2`, `+whisper`…) + pitch (0–100, eSpeak default 50) + pitch
 *    range (0–100, 50 = normal intonation, lower = flatter).
 *  - eSpeak's own voices, by file name (`de`, `fr`, `en-us`, `en-gb-x-rp`, `cmn`…) or by a language code eSpeak
 *    lists for them (`en-gb`, `fr-fr`, `pt-br`, `zh`…), optionally with a variant (`de+f2`, `en-us+klatt`). This is how
 *    other languages are reached.
 */
import { PluginInputError, type VoiceInfo } from '../sdk';
import { ESPEAK_VARIANTS, ESPEAK_VOICES } from './espeak-data';

export const MODEL_ID = 'espeak';

/** What the synthesizer needs to configure eSpeak. */
export interface VoiceSettings {
  /** The name handed to eSpeak's set_voice, variant included (e.g. `en-US+m3`). */
  espeakVoice: string;
  /** 0–100, 50 = the voice's normal pitch. */
  pitch: number;
  /** 0–100, 50 = normal intonation. */
  range: number;
}

interface MappedVoice extends VoiceInfo {
  /** eSpeak voice file name (without the family folder). */
  base: string;
  variant: string;
  pitch: number;
  range: number;
}

/** OpenAI's voices (and the original service's `dan` and `ghost`): no two share base + variant + pitch + range. */
export const MAPPED_VOICES: readonly MappedVoice[] = [
  { id: 'alloy', name: 'Alloy (eSpeak, neutral)', base: 'en-US', variant: 'f3', pitch: 45, range: 50 },
  { id: 'ash', name: 'Ash (eSpeak, male)', base: 'en-US', variant: 'm3', pitch: 45, range: 50 },
  { id: 'ballad', name: 'Ballad (eSpeak, expressive British male)', base: 'en-GB-x-rp', variant: 'm6', pitch: 55, range: 80 },
  { id: 'coral', name: 'Coral (eSpeak, warm female)', base: 'en-US', variant: 'f2', pitch: 55, range: 65 },
  { id: 'echo', name: 'Echo (eSpeak, male)', base: 'en-US', variant: 'm1', pitch: 50, range: 40 },
  { id: 'fable', name: 'Fable (eSpeak, British male)', base: 'en', variant: 'm7', pitch: 50, range: 60 },
  { id: 'onyx', name: 'Onyx (eSpeak, deep male)', base: 'en-US', variant: 'm4', pitch: 20, range: 30 },
  { id: 'nova', name: 'Nova (eSpeak, bright female)', base: 'en-US', variant: 'f4', pitch: 65, range: 60 },
  { id: 'sage', name: 'Sage (eSpeak, calm female)', base: 'en-US', variant: 'f1', pitch: 45, range: 35 },
  { id: 'shimmer', name: 'Shimmer (eSpeak, light female)', base: 'en-US', variant: 'f5', pitch: 70, range: 75 },
  { id: 'verse', name: 'Verse (eSpeak, expressive male)', base: 'en-US', variant: 'm2', pitch: 55, range: 85 },
  { id: 'marin', name: 'Marin (eSpeak, female)', base: 'en-US', variant: 'steph', pitch: 55, range: 60 },
  { id: 'cedar', name: 'Cedar (eSpeak, low male)', base: 'en-US', variant: 'm8', pitch: 35, range: 45 },
  { id: 'dan', name: 'Dan (eSpeak, male)', base: 'en-US', variant: 'm7', pitch: 42, range: 55 },
  { id: 'ghost', name: 'Ghost (eSpeak, whisper)', base: 'en-US', variant: 'whisper', pitch: 40, range: 40 },
].map((voice) => ({ ...voice, languages: ['en'] }));

interface NativeVoice {
  /** eSpeak's file name, as set_voice wants it (e.g. `en-GB-x-rp`). */
  base: string;
  name: string;
  /** Language codes in eSpeak's order of preference for this voice. */
  languages: { code: string; priority: number }[];
}

const NATIVE_VOICES: NativeVoice[] = ESPEAK_VOICES.map(([identifier, name, languages]) => ({
  base: identifier.slice(identifier.lastIndexOf('/') + 1),
  name,
  languages: languages.split(' ').map((entry) => {
    const [code, priority] = entry.split(':');
    return { code, priority: Number(priority) };
  }),
}));

/**
 * Lower-cased id → eSpeak voice. File names first; then each language code goes to the voice eSpeak ranks best for
 * it (lowest priority number, first listed on a tie), unless a file name already took that id (`en` stays the
 * `en` file, which eSpeak ranks first for `en` anyway).
 */
const NATIVE_BY_ID: ReadonlyMap<string, NativeVoice> = (() => {
  const byId = new Map<string, NativeVoice>(NATIVE_VOICES.map((voice) => [voice.base.toLowerCase(), voice]));
  const best = new Map<string, { voice: NativeVoice; priority: number }>();
  for (const voice of NATIVE_VOICES) {
    for (const { code, priority } of voice.languages) {
      const current = best.get(code);
      if (!current || priority < current.priority) best.set(code, { voice, priority });
    }
  }
  for (const [code, { voice }] of best) if (!byId.has(code)) byId.set(code, voice);
  return byId;
})();

const VARIANT_BY_ID: ReadonlyMap<string, string> = new Map(ESPEAK_VARIANTS.map((variant) => [variant.toLowerCase(), variant]));
const MAPPED_BY_ID: ReadonlyMap<string, MappedVoice> = new Map(MAPPED_VOICES.map((voice) => [voice.id, voice]));

/** Everything the manifest lists: the mapped voices, then each eSpeak voice once, under its file name. */
export function listVoices(): VoiceInfo[] {
  return [
    ...MAPPED_VOICES.map(({ id, name, languages }) => ({ id, name, languages })),
    ...NATIVE_VOICES.map((voice) => ({
      id: voice.base.toLowerCase(),
      name: `${voice.name} (eSpeak)`,
      languages: voice.languages.map((language) => language.code),
    })),
  ];
}

/** The languages eSpeak speaks, as primary subtags (`en`, `de`, `cmn`…), sorted. */
export function listLanguages(): string[] {
  const codes = new Set(NATIVE_VOICES.flatMap((voice) => voice.languages.map((language) => language.code.split('-')[0])));
  return [...codes].sort();
}

/**
 * The eSpeak settings for `voiceId`. For the mapped (English) voices, text that is mostly in one non-Latin script
 * is read by that script's language voice instead, keeping the variant and pitch — otherwise English rules would
 * spell out e.g. Cyrillic letter by letter. Throws PluginInputError for unknown ids.
 */
export function resolveVoice(voiceId: string, text: string): VoiceSettings {
  const id = voiceId.trim().toLowerCase();
  const mapped = MAPPED_BY_ID.get(id);
  if (mapped) {
    const base = detectScriptVoice(text) ?? mapped.base;
    return { espeakVoice: `${base}+${mapped.variant}`, pitch: mapped.pitch, range: mapped.range };
  }
  const plus = id.indexOf('+');
  const native = NATIVE_BY_ID.get(plus < 0 ? id : id.slice(0, plus));
  const variant = plus < 0 ? undefined : VARIANT_BY_ID.get(id.slice(plus + 1));
  if (native && (plus < 0 || variant)) {
    return { espeakVoice: variant ? `${native.base}+${variant}` : native.base, pitch: 50, range: 50 };
  }
  throw new PluginInputError(
    `Voice '${voiceId}' is not available for model '${MODEL_ID}'. Available voices: ${MAPPED_VOICES.map((v) => v.id).join(', ')}, ` +
      `or an eSpeak voice or language such as de, fr, es, en-gb, pt-br, cmn (optionally with a variant, e.g. de+f2).`,
    'voice',
    'invalid_value',
  );
}

/** Non-Latin scripts eSpeak has a voice for, and that voice's file name. Han without kana is taken as Mandarin. */
const SCRIPT_VOICES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\p{Script=Cyrillic}/u, 'ru'],
  [/\p{Script=Greek}/u, 'el'],
  [/\p{Script=Arabic}/u, 'ar'],
  [/\p{Script=Hebrew}/u, 'he'],
  [/\p{Script=Devanagari}/u, 'hi'],
  [/\p{Script=Bengali}/u, 'bn'],
  [/\p{Script=Gurmukhi}/u, 'pa'],
  [/\p{Script=Gujarati}/u, 'gu'],
  [/\p{Script=Tamil}/u, 'ta'],
  [/\p{Script=Telugu}/u, 'te'],
  [/\p{Script=Kannada}/u, 'kn'],
  [/\p{Script=Malayalam}/u, 'ml'],
  [/\p{Script=Sinhala}/u, 'si'],
  [/\p{Script=Thai}/u, 'th'],
  [/\p{Script=Georgian}/u, 'ka'],
  [/\p{Script=Armenian}/u, 'hy'],
  [/\p{Script=Ethiopic}/u, 'am'],
  [/\p{Script=Myanmar}/u, 'my'],
  [/\p{Script=Hangul}/u, 'ko'],
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/u, 'ja'],
  [/\p{Script=Han}/u, 'cmn'],
];

/**
 * Deliberately simple: the voice of the non-Latin script that holds more than half of the text's letters, else
 * undefined (Latin-script text stays English — telling French from English by letters alone is not "clear").
 * Japanese mixes kana with Han, so any kana at all makes Han-heavy text Japanese.
 */
export function detectScriptVoice(text: string): string | undefined {
  const counts = new Map<string, number>();
  let letters = 0;
  for (const char of text) {
    if (!/\p{L}/u.test(char)) continue;
    letters++;
    const match = SCRIPT_VOICES.find(([pattern]) => pattern.test(char));
    if (match) counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
  }
  if ((counts.get('ja') ?? 0) > 0 && counts.has('cmn')) {
    counts.set('ja', (counts.get('ja') ?? 0) + (counts.get('cmn') ?? 0));
    counts.delete('cmn');
  }
  for (const [voice, count] of counts) if (count * 2 > letters) return voice;
  return undefined;
}
