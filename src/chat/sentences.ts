/**
 * Cuts streamed text into pieces worth speaking: whole sentences as soon as they end, so speech of the first
 * sentence starts while the LLM is still writing the next, and no piece grows past MAX_PIECE_CHARS (a speech
 * model's input limit) even in text without punctuation.
 */
export const MAX_PIECE_CHARS = 400;

/** A sentence end (., !, ?, … followed by white space; CJK full stops need none), or a line break. */
const BOUNDARY = /[。！？]+\s*|[.!?…]+["'”’)\]]*\s+|\n+/g;

export class SentenceSplitter {
  private buffer = '';

  /** Adds text; returns the pieces it completed. */
  push(text: string): string[] {
    this.buffer += text;
    const pieces: string[] = [];
    for (;;) {
      BOUNDARY.lastIndex = 0;
      const match = BOUNDARY.exec(this.buffer);
      let end = match ? match.index + match[0].length : -1;
      if (end < 0 || end > MAX_PIECE_CHARS) {
        if (this.buffer.length <= MAX_PIECE_CHARS) break;
        const space = this.buffer.lastIndexOf(' ', MAX_PIECE_CHARS);
        end = space > 0 ? space + 1 : MAX_PIECE_CHARS;
      }
      const piece = this.buffer.slice(0, end).trim();
      this.buffer = this.buffer.slice(end);
      if (piece) pieces.push(piece);
    }
    return pieces;
  }

  /** The unfinished rest, at the end of the text. */
  flush(): string[] {
    const rest = this.buffer.trim();
    this.buffer = '';
    return rest ? this.push(rest + '\n') : [];
  }
}

/** A whole text, cut the same way. */
export function splitSentences(text: string): string[] {
  const splitter = new SentenceSplitter();
  return [...splitter.push(text), ...splitter.flush()];
}
