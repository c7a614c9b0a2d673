/**
 * Text in: Resemble's punctuation normalization, sentence chunks, and the tokenizer read from the fixtures'
 * tokenizer.json files, checked against the documented layouts (and the files' own post-processors).
 */
import { ChatterboxTokenizer } from '../../../plugins/chatterbox/tokenizer';
import { chunkText, normalizePunctuation } from '../../../plugins/chatterbox/text';
import { EXAGGERATION_TOKEN, START_SPEECH_TOKEN, TEXT_START, TEXT_STOP, TURBO_TEXT_EOS } from '../../fixtures/chatterbox/generate-chatterbox';
import { buildOriginalTokenizerJson, buildTurboTokenizerJson } from '../../fixtures/chatterbox/tokenizer-fixture';

const turbo = ChatterboxTokenizer.fromJson(buildTurboTokenizerJson());
const original = ChatterboxTokenizer.fromJson(buildOriginalTokenizerJson('original'));
const multilingual = ChatterboxTokenizer.fromJson(buildOriginalTokenizerJson('multilingual'));

describe('Chatterbox text preparation', () => {
  it('normalizes punctuation as Resemble’s punc_norm does', () => {
    expect(normalizePunctuation('  hello   world')).toBe('Hello world.');
    expect(normalizePunctuation('Wait… what: really; yes — “quoted” ‘single’')).toBe('Wait,  what, really,  yes - "quoted" \'single\'.');
    expect(normalizePunctuation('Done!')).toBe('Done!');
    expect(normalizePunctuation('Oh well [laugh]')).toBe('Oh well [laugh].');
    expect(normalizePunctuation('你好。')).toBe('你好。');
  });

  it('chunks long input at sentence boundaries, every chunk at most 300 characters', () => {
    const long = `${'This sentence is of an ordinary length for speech. '.repeat(30)}${'word '.repeat(200)}end.`;
    const chunks = chunkText(long);
    expect(chunks.length).toBeGreaterThan(30);
    expect(chunks.every((chunk) => chunk.length <= 300)).toBe(true);
    expect(chunks.join(' ').replace(/\s+/g, ' ')).toBe(long.trim().replace(/\s+/g, ' '));
  });

  it('Turbo: byte-level BPE, tags as single tokens, two <|endoftext|> at the end (same as the file’s template)', () => {
    const prompt = turbo.encodePrompt('Hi there [laugh] okay [clear throat]', 'turbo');
    expect(prompt.slice(-2)).toEqual([TURBO_TEXT_EOS, TURBO_TEXT_EOS]);
    expect(prompt).toContain(50275);
    expect(prompt).toContain(turbo.tokenToId('[clear throat]'));
    expect(prompt.filter((id) => id >= TURBO_TEXT_EOS)).toHaveLength(4);
    expect(turbo.templateEncode('Hi there [laugh] okay [clear throat]')).toEqual(prompt);
    // A client cannot end the text early by typing the control token.
    expect(turbo.encodeText('a <|endoftext|> b')).not.toContain(TURBO_TEXT_EOS);
  });

  it('original: [6563, [START], …, [STOP], 6561, 6561] with spaces as [SPACE] (same as the file’s template)', () => {
    const prompt = original.encodePrompt('Hello there.', 'original');
    expect(prompt.slice(0, 2)).toEqual([EXAGGERATION_TOKEN, TEXT_START]);
    expect(prompt.slice(-3)).toEqual([TEXT_STOP, START_SPEECH_TOKEN, START_SPEECH_TOKEN]);
    expect(prompt).toContain(original.tokenToId('[SPACE]'));
    expect(original.templateEncode('Hello there.')).toEqual(prompt);
    // Layout tokens typed in text stay text.
    const injected = original.encodeText('a [STOP] b [START_SPEECH]');
    expect(injected).not.toContain(TEXT_STOP);
    expect(injected).not.toContain(START_SPEECH_TOKEN);
  });

  it('multilingual: the [xx] prefix is one token, text lower-cased and NFKD-decomposed first', () => {
    expect(multilingual.languages).toEqual(expect.arrayContaining(['en', 'fr', 'de', 'zh']));
    const ids = multilingual.encodeText('Été', 'fr');
    expect(ids[0]).toBe(multilingual.tokenToId('[fr]'));
    expect(ids.slice(1)).toEqual(multilingual.encodeText('e\u0301te\u0301'));
    expect(original.languages).toEqual([]);
  });
});
