/**
 * The Whisper tokenizer and word grouping, on in-memory tokenizer.json fixtures with the real special-token
 * layouts. transformers.js (a dev dependency) tokenizes the same files as an independent oracle.
 */
import { WhisperTokenizer as OracleTokenizer } from '@huggingface/transformers';
import { WhisperTokenizer } from '../../../plugins/whisper/tokenizer';
import { groupTokensIntoWords } from '../../../plugins/whisper/words';
import { buildWhisperTokenizerJson, type WhisperVocabFamily } from '../../fixtures/whisper/tokenizer-fixture';

const SAMPLES = [
  'Hello world!',
  ' And so, my fellow Americans, ask not what your country can do for you.',
  "It's unbelievable: they'll re-run the 2024 tests at 10:30 (maybe).",
  ' Der Fuchs springt über den Zaun, während die Straßenbahn quietscht.',
  " L'été dernier, nous sommes allés à Montréal.",
  ' ¿Cómo estás? ¡Muy bien, gracias!',
  ' Съешь же ещё этих мягких французских булок.',
  '我们今天去北京看看长城。',
  '東京タワーに行きましょう、ね？',
  ' Emoji: 😀🎉👍🏽 ❤️ 🦄 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢.',
  'tabs\tand\nnewlines   and  multiple   spaces ',
  '',
];

const tokenizers = new Map<WhisperVocabFamily, WhisperTokenizer>();
function tokenizer(family: WhisperVocabFamily = 'multilingual'): WhisperTokenizer {
  let t = tokenizers.get(family);
  if (!t) {
    t = WhisperTokenizer.fromJson(buildWhisperTokenizerJson(family));
    tokenizers.set(family, t);
  }
  return t;
}

/** True when the token's bytes are not a whole number of UTF-8 characters. */
function splitsACharacter(t: WhisperTokenizer, id: number): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(t.tokenBytes(id));
    return false;
  } catch {
    return true;
  }
}

describe('special-token layout', () => {
  const expected: Record<WhisperVocabFamily, Record<string, number>> = {
    multilingual: {
      endOfText: 50257, startOfTranscript: 50258, translate: 50358, transcribe: 50359, startOfLm: 50360,
      startOfPrev: 50361, noSpeech: 50362, noTimestamps: 50363, timestampBegin: 50364,
    },
    v3: {
      endOfText: 50257, startOfTranscript: 50258, translate: 50359, transcribe: 50360, startOfLm: 50361,
      startOfPrev: 50362, noSpeech: 50363, noTimestamps: 50364, timestampBegin: 50365,
    },
    en: {
      endOfText: 50256, startOfTranscript: 50257, translate: 50357, transcribe: 50358, startOfLm: 50359,
      startOfPrev: 50360, noSpeech: 50361, noTimestamps: 50362, timestampBegin: 50363,
    },
  };
  const sizes: Record<WhisperVocabFamily, number> = { multilingual: 51865, v3: 51866, en: 51864 };

  it.each(['multilingual', 'v3', 'en'] as const)('%s: control tokens at the ids real checkpoints use', (family) => {
    const t = tokenizer(family);
    expect(t.special).toEqual(expected[family]);
    expect(t.timestampBegin).toBe(expected[family].timestampBegin);
    expect(t.vocabSize).toBe(sizes[family]);
    expect(t.tokenToId('<|30.00|>')).toBe(sizes[family] - 1);
  });

  it.each(['multilingual', 'v3', 'en'] as const)('%s: language tokens run from <|en|> in Whisper order', (family) => {
    const t = tokenizer(family);
    const sot = t.special.startOfTranscript;
    expect(t.languages.size).toBe(family === 'v3' ? 100 : 99);
    expect(t.languageToken('en')).toBe(sot + 1);
    expect(t.languageToken('zh')).toBe(sot + 2);
    expect(t.languageToken('su')).toBe(sot + 99);
    expect(t.languageToken('yue')).toBe(family === 'v3' ? 50358 : undefined);
    expect(t.languageOf(sot + 3)).toBe('de');
    expect(t.languageOf(t.special.transcribe)).toBeUndefined();
    expect(t.idToToken(sot + 5)).toBe('<|ru|>');
  });

  it('accepts <|nocaptions|>, the older name of <|nospeech|>', () => {
    const json = buildWhisperTokenizerJson('multilingual');
    for (const added of json.added_tokens as Array<{ content: string }>) {
      if (added.content === '<|nospeech|>') added.content = '<|nocaptions|>';
    }
    expect(WhisperTokenizer.fromJson(json).special.noSpeech).toBe(50362);
  });

  it('refuses a tokenizer.json that is not Whisper’s', () => {
    const json = buildWhisperTokenizerJson('multilingual');
    json.added_tokens = (json.added_tokens as Array<{ content: string }>).filter((a) => a.content !== '<|notimestamps|>');
    expect(() => WhisperTokenizer.fromJson(json)).toThrow(/notimestamps/);
  });
});

describe('encode and decode', () => {
  it.each(SAMPLES)('round-trips %j', (text) => {
    const t = tokenizer();
    const ids = t.encode(text);
    expect(ids.every((id) => id < t.special.endOfText)).toBe(true);
    expect(t.decode(ids)).toBe(text);
  });

  it('uses the learned merges (whole words for corpus words, not bytes)', () => {
    const t = tokenizer();
    expect(t.encode(' the')).toHaveLength(1);
    expect(t.encode(' country')).toHaveLength(1);
  });

  it('treats special-token text in the input as plain text', () => {
    const t = tokenizer();
    const ids = t.encode('<|endoftext|><|en|><|0.00|>');
    expect(ids.some((id) => t.isSpecial(id))).toBe(false);
    expect(t.decode(ids)).toBe('<|endoftext|><|en|><|0.00|>');
  });

  it('decodes special tokens literally, or drops them with skipSpecial', () => {
    const t = tokenizer();
    const s = t.special;
    const ids = [s.startOfTranscript, t.languageToken('en')!, s.transcribe, t.timestampBegin, ...t.encode(' Hi.'), t.timestampBegin + 50, s.endOfText];
    expect(t.decode(ids)).toBe('<|startoftranscript|><|en|><|transcribe|><|0.00|> Hi.<|1.00|><|endoftext|>');
    expect(t.decode(ids, { skipSpecial: true })).toBe(' Hi.');
  });

  it('reads timestamps as seconds', () => {
    const t = tokenizer();
    const id = t.tokenToId('<|1.50|>')!;
    expect(id).toBe(t.timestampBegin + 75);
    expect(t.isTimestamp(id)).toBe(true);
    expect(t.isTimestamp(t.special.noTimestamps)).toBe(false);
    expect(t.isTimestamp(t.special.noTimestamps + 1)).toBe(true);
    expect(t.timestampSeconds(id)).toBe(1.5);
    expect(t.timestampSeconds(t.timestampBegin)).toBe(0);
    expect(t.timestampSeconds(t.timestampBegin + 1500)).toBe(30);
    expect(t.timestampToken(1.5)).toBe(id);
    expect(t.timestampToken(99)).toBe(t.timestampBegin + 1500);
    expect(t.decode([id])).toBe('<|1.50|>');
  });

  it('accepts merges written as ["a", "b"] pairs as well as "a b" strings', () => {
    const json = buildWhisperTokenizerJson('multilingual');
    const model = json.model as { merges: string[] };
    (model as unknown as { merges: string[][] }).merges = model.merges.map((m) => m.split(' '));
    const arrays = WhisperTokenizer.fromJson(json);
    for (const text of SAMPLES) expect(arrays.encode(text)).toEqual(tokenizer().encode(text));
  });

  it('reads tokenizer.json from disk', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'whisper-tok-'));
    try {
      await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(buildWhisperTokenizerJson('en')));
      const t = await WhisperTokenizer.fromFile(join(dir, 'tokenizer.json'));
      expect(t.special.endOfText).toBe(50256);
      expect(t.decode(t.encode(SAMPLES[1]))).toBe(SAMPLES[1]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('agreement with transformers.js (oracle)', () => {
  it.each(['multilingual', 'v3', 'en'] as const)('%s: same ids, same decoded text', (family) => {
    const json = buildWhisperTokenizerJson(family);
    const oracle = new OracleTokenizer(json, {});
    const t = tokenizer(family);
    for (const text of SAMPLES.filter((s) => s !== '')) {
      const ids = t.encode(text);
      expect({ text, ids }).toEqual({ text, ids: oracle.encode(text, { add_special_tokens: false }) });
      expect(t.decode(ids)).toBe(oracle.decode(ids, { clean_up_tokenization_spaces: false }));
    }
  });

  // transformers.js treats a token made of several punctuation marks ("):") as punctuation, OpenAI Whisper
  // (`strip() in string.punctuation`) and we do not; the cases here avoid such tokens.
  it('groups words the same way', () => {
    const t = tokenizer();
    const oracle = new OracleTokenizer(buildWhisperTokenizerJson('multilingual'), {}) as unknown as {
      combineTokensIntoWords(tokens: number[], language: string): [string[], number[][], number[][]];
    };
    const cases: Array<[string, string, string]> = [
      [' And so, my "fellow" Americans (all of you) ask not!', 'en', 'english'],
      [' ¿Dónde está la biblioteca? ¡Qué bonito día!', 'es', 'spanish'],
      ['我们今天去北京看看长城。你好，世界！', 'zh', 'chinese'],
      [' Emoji: 😀🎉 done.', 'en', 'english'],
    ];
    for (const [text, code, name] of cases) {
      const ids = t.encode(text);
      const [words, , indices] = oracle.combineTokensIntoWords(ids, name);
      const ours = groupTokensIntoWords(t, ids, code);
      expect(ours.map((w) => w.word)).toEqual(words);
      expect(ours.map((w) => w.tokenIndices)).toEqual(indices);
    }
  });
});

describe('streaming decoder', () => {
  const splitSamples = ['我们今天去北京看看长城。', ' Emoji: 😀🎉👍🏽 ❤️ 🦄 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢.', '東京タワーに行きましょう、ね？'];

  it('the fixture really splits characters across tokens (so the tests below mean something)', () => {
    const t = tokenizer();
    for (const text of splitSamples) expect(t.encode(text).some((id) => splitsACharacter(t, id))).toBe(true);
  });

  it.each(splitSamples)('emits the one-shot text for %j, with no U+FFFD for split characters', (text) => {
    const t = tokenizer();
    const ids = t.encode(text);
    const stream = t.createStreamingDecoder();
    const deltas = ids.map((id) => stream.push(id));
    deltas.push(stream.finish());
    expect(deltas.join('')).toBe(text);
    expect(stream.text).toBe(text);
    for (const delta of deltas) expect(delta).not.toContain('\uFFFD');
    // Bytes of a split character are held back: some pushes complete nothing.
    expect(deltas.slice(0, -1).some((delta) => delta === '')).toBe(true);
  });

  it('skips control tokens and timestamps by default, even between the bytes of one character', () => {
    const t = tokenizer();
    const ids = t.encode('长城');
    const split = ids.findIndex((id) => splitsACharacter(t, id));
    const withControl = [t.special.startOfTranscript, t.timestampBegin, ...ids.slice(0, split + 1), t.timestampBegin + 10, ...ids.slice(split + 1), t.special.endOfText];
    const stream = t.createStreamingDecoder();
    expect(stream.push(withControl) + stream.finish()).toBe('长城');
  });

  it('keeps control tokens when asked', () => {
    const t = tokenizer();
    const stream = t.createStreamingDecoder({ skipSpecial: false });
    expect(stream.push([t.timestampBegin + 75, ...t.encode(' ok')])).toBe('<|1.50|> ok');
  });

  it('a stream cut inside a character ends with U+FFFD only at finish()', () => {
    const t = tokenizer();
    const ids = t.encode('😀');
    expect(ids.length).toBeGreaterThan(1);
    const stream = t.createStreamingDecoder();
    expect(stream.push(ids.slice(0, -1))).toBe('');
    expect(stream.finish()).toBe('\uFFFD');
  });
});

describe('groupTokensIntoWords', () => {
  const words = (text: string, language: string) => {
    const t = tokenizer();
    const ids = t.encode(text);
    const grouped = groupTokensIntoWords(t, ids, language);
    // Every token belongs to exactly one word, in order.
    expect(grouped.flatMap((w) => w.tokenIndices)).toEqual(ids.map((_, i) => i));
    return grouped.map((w) => w.word);
  };

  it('English: words start at spaces; punctuation sticks to its word', () => {
    expect(words(' And so, my "fellow" Americans (all of you): ask not!', 'en')).toEqual([
      ' And', ' so,', ' my', ' "fellow"', ' Americans', ' (all', ' of', ' you):', ' ask', ' not!',
    ]);
  });

  it('English: a word made of several tokens stays one word', () => {
    const t = tokenizer();
    const ids = t.encode(' unbelievably');
    expect(ids.length).toBeGreaterThan(1);
    expect(groupTokensIntoWords(t, ids, 'en')).toEqual([{ word: ' unbelievably', tokenIndices: ids.map((_, i) => i) }]);
  });

  it('Chinese: one word per character, punctuation appended, split bytes reunited', () => {
    const t = tokenizer();
    const ids = t.encode('长城很长，北京。');
    const grouped = groupTokensIntoWords(t, ids, 'zh');
    expect(grouped.map((w) => w.word)).toEqual(['长', '城', '很', '长，', '北', '京。']);
    expect(grouped.flatMap((w) => w.tokenIndices)).toEqual(ids.map((_, i) => i));
  });

  it('timestamps and control tokens are words of their own', () => {
    const t = tokenizer();
    const text = t.encode(' Hi there.');
    const ids = [t.timestampBegin, ...text, t.timestampBegin + 25];
    expect(groupTokensIntoWords(t, ids, 'en').map((w) => w.word)).toEqual(['<|0.00|>', ' Hi', ' there.', '<|0.50|>']);
  });
});
