/**
 * What a user of the Whisper plugin sees, on real onnxruntime sessions of generated exports whose decoders are
 * steered to say chosen tokens: language detection, translate, prompt, segment and word timestamps, audio over
 * 30 s, silence, temperature fallback, cancellation, and the export variants (.en, v3 128-mel, fp16 KV + sidecars).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError, type PluginInstance } from '../../../plugins/sdk';
import { scriptAfterPrefix, whisperSpecialTokenIds, whisperSuppressTokens, type WhisperSpecialTokenIds } from '../../fixtures/whisper/generate-whisper';
import { wordTimestampsHint } from '../../../plugins/whisper/word-timestamps';
import whisperPlugin from '../../../plugins/whisper/plugin';
import { audio, FixtureRoot, fixtureTokenizer, loadModel, request, silentLog, transcribe, type DecoderCalls } from './harness';

const ML = whisperSpecialTokenIds('multilingual');
const tokenizer = fixtureTokenizer();
const PHRASE = ' The quick brown fox jumps over the lazy dog';
const SECOND_PHRASE = ' This is a test of the speech recognition system';

/** `<|t|>` of a vocabulary (t in seconds, 0.02 s steps). */
function ts(ids: WhisperSpecialTokenIds, seconds: number): number {
  return ids.timestampBegin + Math.round(seconds / 0.02);
}

function words(text: string): number[] {
  const ids = tokenizer.encode(text);
  // Steered tokens must survive the fixture's suppress_tokens, or greedy decoding could not say them.
  const suppressed = new Set([...whisperSuppressTokens(ML), 220]);
  if (!ids.every((id) => !suppressed.has(id) && id < ML.endOfText)) throw new Error(`'${text}' has a suppressed token: ${ids.join(',')}`);
  return ids;
}

const root = new FixtureRoot();
const loaded: PluginInstance[] = [];
/** The ids of the fixture folders, written once for the whole file. */
const ids = { basic: '', timed: '', repeat: '', silence: '', prompt: '' };
const PROMPT = 'Brown fox';
const REPEATS = 8;

async function load(id: string, calls?: DecoderCalls, onDecoderRun?: () => void): Promise<PluginInstance> {
  const instance = await loadModel(root.dir, id, calls, onDecoderRun);
  loaded.push(instance);
  return instance;
}

/** Runs `body` with extra environment variables set (the plugin reads its settings when a model is created). */
async function withEnv<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Decoder runs that start a window's decoding (the whole prompt fed at once) rather than one new token. */
function passes(calls: DecoderCalls, prefixLength: number): number[][] {
  return calls.inputIds.filter((input) => input.length === prefixLength);
}

// Window one of the timed fixture: two segments, the second claiming to run to <|30.00|> (past a short clip's end).
const TIMED_FIRST = [ts(ML, 0), ...words(PHRASE), ts(ML, 2), ts(ML, 2), ...words(SECOND_PHRASE), ts(ML, 30)];
// Window two (30 s on): one segment, 0–4 s into the window.
const TIMED_SECOND = [ts(ML, 0), ...words(' The lazy dog'), ts(ML, 4)];

beforeAll(async () => {
  await root.open();
  const phrase = [...words(PHRASE), ML.endOfText];
  // Prompt [sot, lang, task, notimestamps]: the phrase follows. Position 0 (after <|startoftranscript|> alone, what
  // language detection reads) is steered to <|de|>.
  const basic = scriptAfterPrefix(4, phrase);
  basic.tokens[0] = ML.languages.de;
  ids.basic = await root.write('whisper-fixture', { script: basic });
  // Timestamps: prompt [sot, en, transcribe]. The second window's prompt is <|startofprev|> + window one's tokens +
  // the same three, so its first token sits right after window one's <|endoftext|>.
  ids.timed = await root.write('timed', { timestamped: true, script: scriptAfterPrefix(3, [...TIMED_FIRST, ML.endOfText, ...TIMED_SECOND, ML.endOfText]) });
  // Eight repeats compress far better than 2.4: a hallucination by openai-whisper's measure. Strength 30 keeps the
  // steering in charge even when sampling at temperature 1.
  const repeated = Array.from({ length: REPEATS }, () => words(' the dog')).flat();
  ids.repeat = await root.write('repeat', { script: scriptAfterPrefix(4, [...repeated, ML.endOfText], 30) });
  // <|nospeech|> is the likeliest token after <|startoftranscript|>; what follows is six unsteered (unsure) noise
  // tokens, then <|endoftext|>.
  const silence = scriptAfterPrefix(10, [ML.endOfText]);
  silence.tokens[0] = ML.noSpeech;
  ids.silence = await root.write('silence', { script: silence });
  const promptTokens = tokenizer.encode(` ${PROMPT}`);
  ids.prompt = await root.write('prompt', { script: scriptAfterPrefix(1 + promptTokens.length + 4, phrase) });
});

afterAll(async () => {
  for (const instance of loaded) await instance.dispose?.();
  await root.close();
});

describe('language', () => {
  it('detects the language when none is given, decodes in it and reports it', async () => {
    const calls: DecoderCalls = { inputIds: [] };
    const model = await load(ids.basic, calls);
    const { result } = await transcribe(model, request(audio(3), { language: undefined }));
    expect(result.language).toBe('de');
    expect(result.text).toBe(PHRASE.trim());
    // Detection is one step on <|startoftranscript|>; the transcript is then decoded with <|de|> in its prompt.
    expect(calls.inputIds[0]).toEqual([ML.startOfTranscript]);
    expect(calls.inputIds[1]).toEqual([ML.startOfTranscript, ML.languages.de, ML.transcribe, ML.noTimestamps]);
  });

  it('uses the language the client names, by code or English name', async () => {
    const calls: DecoderCalls = { inputIds: [] };
    const model = await load(ids.basic, calls);
    const { result } = await transcribe(model, request(audio(3), { language: 'french' }));
    expect(result.language).toBe('fr');
    expect(calls.inputIds[0]).toEqual([ML.startOfTranscript, ML.languages.fr, ML.transcribe, ML.noTimestamps]);
  });
});

describe('tasks and prompt', () => {
  it('translates with <|translate|> in the decoder prompt', async () => {
    const calls: DecoderCalls = { inputIds: [] };
    const model = await load(ids.basic, calls);
    const { result, deltas } = await transcribe(model, request(audio(3), { task: 'translate' }));
    expect(calls.inputIds[0]).toEqual([ML.startOfTranscript, ML.languages.en, ML.translate, ML.noTimestamps]);
    expect(result.text).toBe(PHRASE.trim());
    expect(deltas.join('')).toBe(result.text);
  });

  it('conditions the decoder on the prompt: <|startofprev|> and its tokens precede <|startoftranscript|>', async () => {
    const calls: DecoderCalls = { inputIds: [] };
    const model = await load(ids.prompt, calls);
    const { result } = await transcribe(model, request(audio(3), { prompt: PROMPT }));
    expect(calls.inputIds[0]).toEqual([ML.startOfPrev, ...tokenizer.encode(` ${PROMPT}`), ML.startOfTranscript, ML.languages.en, ML.transcribe, ML.noTimestamps]);
    // The fixture says the phrase only after exactly that prompt.
    expect(result.text).toBe(PHRASE.trim());
  });
});

describe('timestamps', () => {
  it('splits segments at timestamp tokens, never past the end of the audio', async () => {
    const calls: DecoderCalls = { inputIds: [] };
    const model = await load(ids.timed, calls);
    const { result } = await transcribe(model, request(audio(4), { timestamps: { segment: true, word: false } }));
    expect(calls.inputIds[0]).toEqual([ML.startOfTranscript, ML.languages.en, ML.transcribe]);
    expect(result.segments.map(({ start, end, text, seek }) => ({ start, end, text, seek }))).toEqual([
      { start: 0, end: 2, text: PHRASE, seek: 0 },
      // The model claimed <|30.00|>; the clip is 4 s long.
      { start: 2, end: 4, text: SECOND_PHRASE, seek: 0 },
    ]);
    expect(result.text).toBe(`${PHRASE}${SECOND_PHRASE}`.trim());
    expect(result.duration).toBe(4);
  });

  it('continues past 30 s in a second window with global segment times', async () => {
    const calls: DecoderCalls = { inputIds: [] };
    const model = await load(ids.timed, calls);
    const { result, deltas } = await transcribe(model, request(audio(40), { timestamps: { segment: true, word: false } }));
    // Text is reported segment by segment as windows finish, and adds up to the final text.
    expect(deltas).toHaveLength(3);
    expect(deltas.join('')).toBe(result.text);
    expect(result.segments.map(({ start, end, text, seek }) => ({ start, end, text, seek }))).toEqual([
      { start: 0, end: 2, text: PHRASE, seek: 0 },
      { start: 2, end: 30, text: SECOND_PHRASE, seek: 0 },
      { start: 30, end: 34, text: ' The lazy dog', seek: 3000 },
    ]);
    // The second window's prompt is the first window's text, as openai-whisper conditions on previous text.
    const second = passes(calls, 1 + TIMED_FIRST.length + 3);
    expect(second).toHaveLength(1);
    expect(second[0]).toEqual([ML.startOfPrev, ...TIMED_FIRST, ML.startOfTranscript, ML.languages.en, ML.transcribe]);
  });

  it('gives words monotone times inside their segment on a _timestamped export', async () => {
    const model = await load(ids.timed);
    const { result } = await transcribe(model, request(audio(4), { timestamps: { segment: true, word: true } }));
    expect(result.words.map((word) => word.word)).toEqual(`${PHRASE}${SECOND_PHRASE}`.trim().split(' '));
    let previousEnd = 0;
    for (const word of result.words) {
      expect(word.start).toBeGreaterThanOrEqual(previousEnd);
      expect(word.end).toBeGreaterThanOrEqual(word.start);
      const segment = result.segments.find((s) => s.text.includes(word.word))!;
      expect(word.start).toBeGreaterThanOrEqual(segment.start);
      expect(word.end).toBeLessThanOrEqual(segment.end);
      previousEnd = word.end;
    }
    expect(previousEnd).toBeLessThanOrEqual(result.duration);
  });

  it('refuses word timestamps on an export without cross-attention outputs, naming the export to pull', async () => {
    const model = await load(ids.basic);
    const failure = transcribe(model, request(audio(2), { timestamps: { segment: true, word: true } }));
    await expect(failure).rejects.toMatchObject({ param: 'timestamp_granularities', message: expect.stringContaining('npm run models -- pull onnx-community/whisper-fixture_timestamped') });
  });
});

describe('which export gives word timestamps', () => {
  it.each([
    ['whisper-small', 'npm run models -- pull onnx-community/whisper-small_timestamped'],
    ['Xenova/whisper-tiny.en', 'npm run models -- pull onnx-community/whisper-tiny.en_timestamped'],
    // A _timestamped folder without the outputs is repaired by pulling it again, not by a doubled suffix.
    ['whisper-base_timestamped', 'npm run models -- pull onnx-community/whisper-base_timestamped`'],
    ['my-own-export', 'npm run models -- pull onnx-community/whisper-base_timestamped'],
  ])('%s → %s', (model, command) => {
    expect(wordTimestampsHint(model)).toContain(`\`${command}`);
  });
});

describe('silence and fallback', () => {
  it('returns no text for a window the model calls silence, instead of its hallucination', async () => {
    const model = await load(ids.silence);
    const { result, deltas } = await transcribe(model, request(new Float32Array(16000 * 3), { timestamps: { segment: true, word: false } }));
    expect(result.text).toBe('');
    expect(result.segments).toEqual([]);
    expect(deltas).toEqual([]);
    // Token-by-token streaming (fallback off) does not leak it either.
    const streaming = await withEnv({ WHISPER_TEMPERATURE_FALLBACK: 'false' }, () => load(ids.silence));
    expect(await transcribe(streaming, request(new Float32Array(16000 * 3)))).toMatchObject({ result: { text: '' }, deltas: [] });
    // The same noise is what the model decodes when the no-speech check is off.
    const unchecked = await withEnv({ WHISPER_NO_SPEECH_THRESHOLD: '1', WHISPER_TEMPERATURE_FALLBACK: 'false' }, () => load(ids.silence));
    const { result: noise } = await transcribe(unchecked, request(new Float32Array(16000 * 3)));
    expect(noise.text.length).toBeGreaterThan(0);
  });

  it.each([
    ['on (default)', {}, [0, 0.2, 0.4, 0.6, 0.8, 1], 1],
    ['off', { WHISPER_TEMPERATURE_FALLBACK: 'false' }, [0], 0],
    ['on with a lenient compression threshold', { WHISPER_COMPRESSION_RATIO_THRESHOLD: '100' }, [0], 0],
  ] as Array<[string, Record<string, string>, number[], number]>)('temperature fallback %s', async (_label, env, tried, finalTemperature) => {
    const calls: DecoderCalls = { inputIds: [] };
    const model = await withEnv(env, () => load(ids.repeat, calls));
    const { result } = await transcribe(model, request(audio(3)));
    expect(passes(calls, 4)).toHaveLength(tried.length);
    expect(result.segments.map((segment) => segment.temperature)).toEqual([finalTemperature]);
    expect(result.segments[0].compression_ratio).toBeGreaterThan(2.4);
    expect(result.text).toBe(Array.from({ length: REPEATS }, () => 'the dog').join(' '));
  });
});

describe('streaming', () => {
  it('reports text token by token while decoding when nothing can discard it (fallback off), once per window otherwise', async () => {
    let runs = 0;
    const model = await withEnv({ WHISPER_TEMPERATURE_FALLBACK: 'false' }, () => load(ids.basic, undefined, () => runs++));
    const runsAtDelta: number[] = [];
    const deltas: string[] = [];
    const result = await model.transcription!.transcribe(request(audio(3)), new AbortController().signal, {
      onText: (delta) => {
        deltas.push(delta);
        runsAtDelta.push(runs);
      },
    });
    expect(deltas.join('')).toBe(result.text);
    expect(deltas.length).toBeGreaterThan(5);
    // The first words arrived while the decoder still had steps to run.
    expect(runsAtDelta[0]).toBeLessThan(runs);

    const checked = await transcribe(await load(ids.basic), request(audio(3)));
    expect(checked.deltas).toEqual([result.text]);
  });
});

describe('cancellation', () => {
  it('stops between decoder steps with CancelledError and runs the decoder no more', async () => {
    const controller = new AbortController();
    let runs = 0;
    const model = await load(ids.basic, undefined, () => {
      runs++;
      if (runs === 3) controller.abort();
    });
    await expect(transcribe(model, request(audio(3)), controller.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(runs).toBe(3);
  });
});

describe('export variants', () => {
  it('loads and transcribes an English-only (.en) export, always in English', async () => {
    const EN = whisperSpecialTokenIds('en');
    const enTokenizer = fixtureTokenizer('en');
    const phrase = enTokenizer.encode(PHRASE);
    const id = await root.write('tiny.en', { vocab: 'en', script: scriptAfterPrefix(2, [...phrase, EN.endOfText]) });
    const calls: DecoderCalls = { inputIds: [] };
    const model = await load(id, calls);
    const { result } = await transcribe(model, request(audio(3), { language: undefined }));
    expect(calls.inputIds[0]).toEqual([EN.startOfTranscript, EN.noTimestamps]);
    expect(result).toMatchObject({ text: PHRASE.trim(), language: 'en' });
    await expect(transcribe(model, request(audio(1), { task: 'translate' }))).rejects.toMatchObject({ param: 'model' });
  });

  it('loads and transcribes a v3 export with 128 mel bins', async () => {
    const V3 = whisperSpecialTokenIds('v3');
    const phrase = fixtureTokenizer('v3').encode(PHRASE);
    const id = await root.write('large-v3', { vocab: 'v3', numMelBins: 128, script: scriptAfterPrefix(4, [...phrase, V3.endOfText]) });
    const model = await load(id);
    const { result } = await transcribe(model, request(audio(3)));
    expect(result.text).toBe(PHRASE.trim());
  });

  it('WHISPER_DTYPE picks which of the exports in a folder is loaded; auto prefers fp32', async () => {
    const id = await root.write('two-dtypes', { script: scriptAfterPrefix(4, [...words(PHRASE), ML.endOfText]) });
    await root.write('two-dtypes', { fileSuffix: '_quantized', script: scriptAfterPrefix(4, [...words(SECOND_PHRASE), ML.endOfText]) });
    const said = async (dtype: string) => {
      const model = await withEnv({ WHISPER_DTYPE: dtype }, () => load(id));
      return (await transcribe(model, request(audio(2)))).result.text;
    };
    expect(await said('auto')).toBe(PHRASE.trim());
    expect(await said('q8')).toBe(SECOND_PHRASE.trim());
    // A dtype the folder lacks: the model is not offered at all (rather than failing on first use).
    const manifest = await withEnv({ WHISPER_DTYPE: 'q4' }, async () => whisperPlugin.describe({ modelsDir: root.dir, log: silentLog }));
    expect(manifest.models.map((model) => model.id)).not.toContain(id);
  });

  it('loads an fp16 export with float16 KV caches and .onnx_data sidecars', async () => {
    const id = await root.write('half', { fileSuffix: '_fp16', kvDtype: 'float16', externalData: true, script: scriptAfterPrefix(4, [...words(PHRASE), ML.endOfText]) });
    expect(existsSync(join(root.dir, id, 'onnx', 'decoder_model_merged_fp16.onnx_data'))).toBe(true);
    const model = await withEnv({ WHISPER_DTYPE: 'fp16' }, () => load(id));
    const { result } = await transcribe(model, request(audio(3)));
    expect(result.text).toBe(PHRASE.trim());
  });
});
