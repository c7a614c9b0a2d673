/** Text chunking shared by the speech plugins. */

/**
 * Sentences (ICU's rules, which also break at line ends and at CJK full stops), empty ones dropped, over-long ones
 * cut at the last clause mark or space before `maxChars`, so the first audio of a long text arrives quickly.
 */
export function splitIntoSentences(text: string, maxChars: number): string[] {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
  const pieces: string[] = [];
  for (const { segment } of segmenter.segment(text)) {
    let rest = segment.trim();
    while (rest.length > maxChars) {
      const window = rest.slice(0, maxChars);
      const clause = Math.max(...[', ', '; ', ': ', ' - ', '، ', '，', '、'].map((mark) => window.lastIndexOf(mark)));
      const cut = clause > maxChars / 2 ? clause + 1 : window.lastIndexOf(' ') > 0 ? window.lastIndexOf(' ') : maxChars;
      pieces.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (/[\p{L}\p{N}]/u.test(rest)) pieces.push(rest);
  }
  return pieces;
}
