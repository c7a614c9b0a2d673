/**
 * Text preparation before tokenizing, as Resemble's `punc_norm` does it (chatterbox tts.py / tts_turbo.py), and the
 * chunking of long inputs into sentences the model voices well.
 */
import { splitIntoSentences } from '../sdk';

/** Chunks longer than this are cut at a clause or a space: the LM was trained on sentence-length text. */
export const MAX_CHUNK_CHARS = 300;

const REPLACEMENTS: ReadonlyArray<[string, string]> = [
  ['...', ', '],
  ['…', ', '],
  [':', ','],
  [' - ', ', '],
  [';', ', '],
  ['—', '-'],
  ['–', '-'],
  [' ,', ','],
  ['“', '"'],
  ['”', '"'],
  ['‘', "'"],
  ['’', "'"],
];

/** Endings that already close a sentence (Resemble's set, plus CJK full stops so they do not get a Latin '.'). */
const SENTENCE_ENDERS = ['.', '!', '?', '-', ',', '。', '！', '？', '、', '，'];

/** Resemble's punctuation normalization: capital first letter, single spaces, LLM punctuation simplified, an end. */
export function normalizePunctuation(input: string): string {
  let text = input.split(/\s+/u).filter(Boolean).join(' ');
  if (text.length === 0) return text;
  const first = text[0];
  if (first !== first.toUpperCase() && first === first.toLowerCase()) text = first.toUpperCase() + text.slice(1);
  for (const [from, to] of REPLACEMENTS) text = text.split(from).join(to);
  text = text.trimEnd();
  if (!SENTENCE_ENDERS.some((ender) => text.endsWith(ender))) text += '.';
  return text;
}

/** The request's text as the chunks synthesized one after the other (each is normalized when it is spoken). */
export function chunkText(input: string, maxChars = MAX_CHUNK_CHARS): string[] {
  return splitIntoSentences(input, maxChars);
}
