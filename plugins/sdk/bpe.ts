/**
 * The BPE core of Hugging Face `tokenizer.json` models, shared by the plugins that tokenize text (Whisper, Chatterbox):
 * GPT-2's byte ↔ character table and pre-tokenizer split, and the merge loop over one pre-token's symbols.
 */

/** GPT-2's pre-tokenizer split (the ByteLevel pre-tokenizer with `use_regex: true`). */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's reversible byte ↔ printable-character table: printable Latin-1 bytes stand for themselves, the others
 * are shifted to U+0100 and up, so every byte sequence is a string without spaces or control characters.
 */
function buildByteTables(): { byteToChar: string[]; charToByte: Int16Array } {
  const byteToChar = new Array<string>(256);
  const isPrintable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let shifted = 0;
  for (let b = 0; b < 256; b++) byteToChar[b] = String.fromCharCode(isPrintable(b) ? b : 256 + shifted++);
  const charToByte = new Int16Array(256 + shifted).fill(-1);
  for (let b = 0; b < 256; b++) charToByte[byteToChar[b].charCodeAt(0)] = b;
  return { byteToChar, charToByte };
}

export const { byteToChar: BYTE_TO_CHAR, charToByte: CHAR_TO_BYTE } = buildByteTables();

/** Pre-token → symbols cache bound; a long-running server sees unbounded distinct words. */
const BPE_CACHE_LIMIT = 50_000;

export type MergeJson = string | [string, string];

function splitMerge(merge: string): [string, string] {
  const space = merge.indexOf(' ', 1);
  if (space < 0) throw new Error(`tokenizer.json: malformed merge ${JSON.stringify(merge)}`);
  return [merge.slice(0, space), merge.slice(space + 1)];
}

/** A `tokenizer.json` BPE model's merge table. */
export class BpeMerges {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();

  /** `merges` as tokenizer.json writes them: older files "a b", newer ones ["a", "b"]. */
  constructor(merges: readonly MergeJson[]) {
    merges.forEach((merge, rank) => {
      const [left, right] = typeof merge === 'string' ? splitMerge(merge) : merge;
      const key = `${left} ${right}`;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
  }

  /** Merges the lowest-ranked adjacent pair until none has a rank; `key` caches the result (e.g. the pre-token). */
  apply(symbols: string[], key?: string): string[] {
    const cached = key === undefined ? undefined : this.cache.get(key);
    if (cached) return cached;
    while (symbols.length > 1) {
      let bestRank = Infinity;
      let bestLeft = '';
      let bestRight = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestLeft = symbols[i];
          bestRight = symbols[i + 1];
        }
      }
      if (bestRank === Infinity) break;
      // Merge every occurrence of the best pair, left to right, as GPT-2 and HF tokenizers do.
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === bestLeft && symbols[i + 1] === bestRight) {
          merged.push(bestLeft + bestRight);
          i++;
        } else {
          merged.push(symbols[i]);
        }
      }
      symbols = merged;
    }
    if (key !== undefined) {
      if (this.cache.size >= BPE_CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, symbols);
    }
    return symbols;
  }
}
