/**
 * Groups a segment's tokens into words for word-level timestamps, as OpenAI Whisper (`tokenizer.split_to_word_tokens`,
 * `timing.merge_punctuations`) and transformers.js (`combineTokensIntoWords`) do: split where the decoded text is
 * valid Unicode, join pieces into words at leading spaces, punctuation and special tokens (or keep every character
 * apart for scripts written without spaces), then attach opening punctuation to the word after it and closing
 * punctuation to the word before it.
 */
import type { WhisperTokenizer } from './tokenizer';

export interface TokenWord {
  /** The word as decoded, with its leading space (" Hello", " world."). */
  word: string;
  /** Positions in the input `tokenIds` that make up the word, ascending. */
  tokenIndices: number[];
}

/** What word grouping needs from a tokenizer. */
export type WordTokenizer = Pick<WhisperTokenizer, 'decode' | 'special'>;

/** Languages written without spaces between words: every complete character is its own "word". */
const UNSPACED_LANGUAGES = new Set(['zh', 'ja', 'th', 'lo', 'my', 'yue', 'chinese', 'japanese', 'thai', 'lao', 'myanmar', 'cantonese']);

export const PREPEND_PUNCTUATION = '"\'“¡¿([{-';
export const APPEND_PUNCTUATION = '"\'.。,，!！?？:：”)]}、';

/** One character of punctuation: Unicode P plus ASCII symbols (transformers.js's PUNCTUATION_REGEX). */
const PUNCTUATION_ONLY = /^[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]$/u;

const REPLACEMENT_CHARACTER = '\uFFFD';

interface Piece {
  text: string;
  tokens: number[];
  indices: number[];
}

/**
 * Split `tokenIds` (text tokens, possibly with timestamps or other special tokens) into words. `language` is a
 * Whisper language code (`en`, `zh`, …); missing means English rules.
 */
export function groupTokensIntoWords(
  tokenizer: WordTokenizer,
  tokenIds: readonly number[],
  language?: string,
  prepend = PREPEND_PUNCTUATION,
  append = APPEND_PUNCTUATION,
): TokenWord[] {
  const pieces = UNSPACED_LANGUAGES.has(language ?? 'en')
    ? splitOnUnicode(tokenizer, tokenIds)
    : splitOnSpaces(tokenizer, tokenIds);
  return mergePunctuation(pieces, prepend, append).map(({ text, indices }) => ({ word: text, tokenIndices: indices }));
}

/** Cut wherever the tokens so far decode to complete characters (a U+FFFD that is really in the text counts). */
function splitOnUnicode(tokenizer: WordTokenizer, tokenIds: readonly number[]): Piece[] {
  const full = tokenizer.decode(tokenIds);
  const pieces: Piece[] = [];
  let tokens: number[] = [];
  let indices: number[] = [];
  let offset = 0;
  tokenIds.forEach((id, index) => {
    tokens.push(id);
    indices.push(index);
    const text = tokenizer.decode(tokens);
    const replacement = text.indexOf(REPLACEMENT_CHARACTER);
    if (replacement < 0 || full[offset + replacement] === REPLACEMENT_CHARACTER) {
      pieces.push({ text, tokens, indices });
      tokens = [];
      indices = [];
      offset += text.length;
    }
  });
  return pieces;
}

/** Join Unicode pieces into words: a new word starts at a space, a punctuation mark or a special token. */
function splitOnSpaces(tokenizer: WordTokenizer, tokenIds: readonly number[]): Piece[] {
  const words: Piece[] = [];
  for (const piece of splitOnUnicode(tokenizer, tokenIds)) {
    const special = piece.tokens[0] >= tokenizer.special.endOfText;
    const startsWord = special || piece.text.startsWith(' ') || PUNCTUATION_ONLY.test(piece.text.trim());
    const last = words[words.length - 1];
    if (startsWord || last === undefined) {
      words.push({ text: piece.text, tokens: [...piece.tokens], indices: [...piece.indices] });
    } else {
      last.text += piece.text;
      last.tokens.push(...piece.tokens);
      last.indices.push(...piece.indices);
    }
  }
  return words;
}

/**
 * Opening punctuation (a separate " (" or ' "') joins the following word; closing punctuation joins the previous
 * word unless that one ends in a space. `includes` is a substring test on purpose: the references use `in`.
 */
function mergePunctuation(words: Piece[], prepend: string, append: string): Piece[] {
  const merged = words.map((w) => ({ text: w.text, tokens: [...w.tokens], indices: [...w.indices] }));
  for (let i = merged.length - 2, j = merged.length - 1; i >= 0; i--) {
    const previous = merged[i];
    const following = merged[j];
    if (previous.text.startsWith(' ') && prepend.includes(previous.text.trim())) {
      following.text = previous.text + following.text;
      following.tokens = [...previous.tokens, ...following.tokens];
      following.indices = [...previous.indices, ...following.indices];
      merged[i] = { text: '', tokens: [], indices: [] };
    } else {
      j = i;
    }
  }
  for (let i = 0, j = 1; j < merged.length; j++) {
    const previous = merged[i];
    const following = merged[j];
    if (!previous.text.endsWith(' ') && append.includes(following.text)) {
      previous.text += following.text;
      previous.tokens.push(...following.tokens);
      previous.indices.push(...following.indices);
      merged[j] = { text: '', tokens: [], indices: [] };
    } else {
      i = j;
    }
  }
  return merged.filter((w) => w.indices.length > 0);
}
