import { MAX_PIECE_CHARS, SentenceSplitter, splitSentences } from '../../src/chat/sentences';
import { verbatimText } from '../../src/chat/chat.service';

describe('speaking pieces of a streamed reply', () => {
  it('hands out each sentence as soon as it has ended, whatever the delta boundaries', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('It is sun')).toEqual([]);
    expect(splitter.push('ny. Enjoy')).toEqual(['It is sunny.']);
    expect(splitter.push(' the walk!\nBye')).toEqual(['Enjoy the walk!']);
    expect(splitter.flush()).toEqual(['Bye']);
  });

  it('keeps decimals and quotes in one piece, and cuts CJK full stops', () => {
    expect(splitSentences('Pi is 3.14 today. "Really?" she asked. 你好。再见')).toEqual(['Pi is 3.14 today.', '"Really?"', 'she asked.', '你好。', '再见']);
  });

  it('never hands out a piece longer than a speech model takes, even without punctuation', () => {
    const pieces = splitSentences('word '.repeat(300));
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(MAX_PIECE_CHARS);
    expect(pieces.join(' ')).toBe('word '.repeat(300).trim());
  });
});

describe('verbatim prefix', () => {
  it('strips "say verbatim:" and surrounding quotes, keeping case', () => {
    expect(verbatimText('say verbatim: "Hello There."')).toBe('Hello There.');
    expect(verbatimText('  Say Verbatim:Read THIS')).toBe('Read THIS');
    expect(verbatimText('Please say verbatim: no')).toBeUndefined();
  });
});
