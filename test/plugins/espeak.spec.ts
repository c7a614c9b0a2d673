/**
 * The eSpeak plugin against the real WASM build (no mocks). Loading takes ~0.2 s, each sentence a few tens of ms.
 */
import { runInThisContext } from 'node:vm';
import plugin from '../../plugins/espeak/plugin';
import { ESPEAK_VARIANTS, ESPEAK_VOICES } from '../../plugins/espeak/espeak-data';
import { escapeText, speedToRate, splitSentences } from '../../plugins/espeak/synthesizer';
import { MAPPED_VOICES, detectScriptVoice, resolveVoice } from '../../plugins/espeak/voices';
import { CancelledError, PluginInputError, type Pcm, type SpeechBackend, type SpeechRequest } from '../../plugins/sdk';
import { cpuPluginContext, modelInfo } from '../utils/plugin-context';


const OPENAI_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];

let speech: SpeechBackend;

beforeAll(async () => {
  const instance = await plugin.create(cpuPluginContext(), modelInfo('espeak'));
  speech = instance.speech!;
});

function request(input: string, overrides: Partial<SpeechRequest> = {}): SpeechRequest {
  return { model: 'espeak', input, voice: 'alloy', speed: 1, extra: {}, ...overrides };
}

async function collect(req: SpeechRequest, signal = new AbortController().signal): Promise<Pcm[]> {
  const chunks: Pcm[] = [];
  for await (const chunk of speech.synthesize(req, signal)) chunks.push(chunk);
  return chunks;
}

function seconds(chunks: Pcm[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.samples.length / chunk.sampleRate, 0);
}

function concat(chunks: Pcm[]): Float32Array {
  const out = new Float32Array(chunks.reduce((sum, chunk) => sum + chunk.samples.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk.samples, offset);
    offset += chunk.samples.length;
  }
  return out;
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

const SENTENCE = 'The quick brown fox jumps over the lazy dog, and then it runs away into the forest.';

describe('espeak plugin: manifest', () => {
  it('describes one streaming speech model with the OpenAI aliases, without loading anything', async () => {
    const manifest = await plugin.describe(cpuPluginContext());
    expect(plugin.id).toBe('espeak');
    expect(manifest.aliases).toEqual({ 'tts-1': 'espeak', 'tts-1-hd': 'espeak', 'gpt-4o-mini-tts': 'espeak' });
    expect(manifest.models).toHaveLength(1);
    const [model] = manifest.models;
    expect(model).toMatchObject({ id: 'espeak', tasks: ['speech'], ownedBy: 'espeak-ng', capabilities: { streaming: true } });
    expect(model.languages).toEqual(expect.arrayContaining(['en', 'de', 'fr', 'es', 'ru', 'cmn']));
    const ids = model.voices!.map((voice) => voice.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([...OPENAI_VOICES, 'dan', 'ghost', 'de', 'fr', 'es', 'en-us']));
    for (const voice of model.voices!) {
      expect(voice.name).toBeTruthy();
      expect(voice.languages.length).toBeGreaterThan(0);
    }
  });

  it('maps all 15 named voices to distinct eSpeak settings', () => {
    expect(MAPPED_VOICES.map((voice) => voice.id).sort()).toEqual([...OPENAI_VOICES, 'dan', 'ghost'].sort());
    const settings = MAPPED_VOICES.map((voice) => JSON.stringify(resolveVoice(voice.id, 'Hello')));
    expect(new Set(settings).size).toBe(15);
    expect(resolveVoice('ghost', 'Hello').espeakVoice).toMatch(/\+whisper$/);
    expect(resolveVoice('fable', 'Hello').espeakVoice).toMatch(/^en\+/);
  });

  it('keeps the shipped voice and variant tables in step with the WASM build', async () => {
    // Node's own require, as the plugin gets it (Jest's cannot load this ES module).
    const createRequire = runInThisContext('process.getBuiltinModule("module").createRequire') as typeof import('node:module').createRequire;
    interface Module {
      eSpeakNGWorker: new () => { list_voices(): { identifier: string }[] };
      FS: { readdir(path: string): string[] };
    }
    const factory = (createRequire(__filename)('@echogarden/espeak-ng-emscripten') as { default: () => Promise<Module> }).default;
    const module = await factory();
    const worker = new module.eSpeakNGWorker();
    const listed = worker.list_voices().map((voice) => voice.identifier);
    expect(ESPEAK_VOICES.map(([identifier]) => identifier)).toEqual(listed);
    const files = module.FS.readdir('/usr/share/espeak-ng-data/voices/!v').filter((name) => !name.startsWith('.'));
    expect(files).toEqual(expect.arrayContaining([...ESPEAK_VARIANTS]));
  });
});

describe('espeak plugin: voices', () => {
  it('accepts eSpeak voice files, language codes and variants, case-insensitively', () => {
    expect(resolveVoice('de', '').espeakVoice).toBe('de');
    expect(resolveVoice('en-GB', '').espeakVoice).toBe('en');
    expect(resolveVoice('fr-fr', '').espeakVoice).toBe('fr');
    expect(resolveVoice('pt-br', '').espeakVoice).toBe('pt-BR');
    expect(resolveVoice('zh', '').espeakVoice).toBe('cmn');
    expect(resolveVoice('en-us+klatt', '').espeakVoice).toBe('en-US+klatt');
    expect(resolveVoice('Alloy', '').espeakVoice).toBe('en-US+f3');
  });

  it.each(['nope', 'de+nope', 'voice_123', '', '+m3'])('rejects %j with a PluginInputError on param voice', (voice) => {
    let error: unknown;
    try {
      speech.synthesize(request('Hello', { voice }), new AbortController().signal);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PluginInputError);
    expect(error).toMatchObject({ param: 'voice', code: 'invalid_value' });
    expect((error as Error).message).toContain(`Voice '${voice}' is not available for model 'espeak'. Available voices: alloy`);
  });

  it('reads clearly non-Latin text with that language for the English voices', () => {
    expect(detectScriptVoice('Привет, как дела?')).toBe('ru');
    expect(detectScriptVoice('你好，世界')).toBe('cmn');
    expect(detectScriptVoice('こんにちは世界')).toBe('ja');
    expect(detectScriptVoice('Hello Привет world, how are you')).toBeUndefined();
    expect(detectScriptVoice('Grüße aus Köln')).toBeUndefined();
    expect(resolveVoice('nova', 'Γειά σου κόσμε').espeakVoice).toBe('el+f4');
    expect(resolveVoice('de', 'Привет').espeakVoice).toBe('de');
  });
});

describe('espeak plugin: text handling', () => {
  it('splits sentences, drops empty ones and cuts over-long ones', () => {
    expect(splitSentences('Hello world. How are you?\n\nFine!  ')).toEqual(['Hello world.', 'How are you?', 'Fine!']);
    expect(splitSentences(' ... \n ')).toEqual([]);
    const long = splitSentences(`${'word, '.repeat(200)}end.`);
    expect(long.length).toBeGreaterThan(2);
    for (const piece of long) expect(piece.length).toBeLessThanOrEqual(400);
  });

  it('escapes markup and phoneme brackets', () => {
    expect(escapeText('<b>&amp; "x" [[h@l]]\u0000')).toBe('&lt;b&gt;&amp;amp; "x" [ [h@l] ] ');
  });

  it('maps speed to words per minute within eSpeak range', () => {
    expect(speedToRate(1)).toBe(175);
    expect(speedToRate(2)).toBe(350);
    expect(speedToRate(0.5)).toBe(88);
    expect(speedToRate(4)).toBe(450);
    expect(speedToRate(0.25)).toBe(80);
    expect(speedToRate(Number.NaN)).toBe(175);
  });
});

describe('espeak plugin: synthesis', () => {
  it('says "Hello world" as at least half a second of audible 22.05 kHz audio', async () => {
    const chunks = await collect(request('Hello world'));
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      expect(chunk.sampleRate).toBe(22050);
      expect(ArrayBuffer.isView(chunk.samples)).toBe(true);
      expect(chunk.samples.constructor.name).toBe('Float32Array');
    }
    const samples = concat(chunks);
    expect(samples.length / 22050).toBeGreaterThanOrEqual(0.5);
    expect(rms(samples)).toBeGreaterThan(0.01);
    let peak = 0;
    for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
    expect(peak).toBeLessThanOrEqual(1);
    expect(peak).toBeGreaterThan(0.05);
  });

  it('follows speed: 2 is clearly shorter, 0.5 clearly longer than 1', async () => {
    const normal = seconds(await collect(request(SENTENCE)));
    const fast = seconds(await collect(request(SENTENCE, { speed: 2 })));
    const slow = seconds(await collect(request(SENTENCE, { speed: 0.5 })));
    expect(fast).toBeLessThan(normal * 0.7);
    expect(slow).toBeGreaterThan(normal * 1.5);
    // Beyond eSpeak's range it clamps, but stays faster / slower than the nearer setting.
    expect(seconds(await collect(request(SENTENCE, { speed: 4 })))).toBeLessThanOrEqual(fast);
    expect(seconds(await collect(request(SENTENCE, { speed: 0.25 })))).toBeGreaterThanOrEqual(slow);
  });

  it('gives different audio for each of the 15 named voices', async () => {
    const fingerprints = new Map<string, string>();
    for (const { id } of MAPPED_VOICES) {
      const samples = concat(await collect(request('Hello world', { voice: id })));
      fingerprints.set(id, `${samples.length}:${rms(samples).toFixed(6)}:${samples[Math.floor(samples.length / 2)]}`);
    }
    expect(new Set(fingerprints.values()).size).toBe(15);
  });

  it.each(['dan', 'ghost', ...OPENAI_VOICES])('speaks with %s', async (voice) => {
    const samples = concat(await collect(request('Hello there.', { voice })));
    expect(samples.length / 22050).toBeGreaterThan(0.3);
    expect(rms(samples)).toBeGreaterThan(0.005);
  });

  it('speaks German, French (with a variant) and Russian through the English voices', async () => {
    for (const [voice, input] of [
      ['de', 'Guten Tag, wie geht es Ihnen?'],
      ['fr+f2', 'Bonjour tout le monde.'],
      ['alloy', 'Привет, как дела?'],
    ]) {
      const samples = concat(await collect(request(input, { voice })));
      expect(samples.length / 22050).toBeGreaterThan(0.5);
      expect(rms(samples)).toBeGreaterThan(0.01);
    }
  });

  it('yields one chunk per sentence', async () => {
    const chunks = await collect(request('First sentence. Second sentence! Third one?\nAnd a fourth line'));
    expect(chunks).toHaveLength(4);
  });

  it('stops with CancelledError when the signal is aborted', async () => {
    const before = new AbortController();
    before.abort();
    await expect(collect(request('Hello world.'), before.signal)).rejects.toBeInstanceOf(CancelledError);

    const during = new AbortController();
    const seen: Pcm[] = [];
    const run = (async () => {
      for await (const chunk of speech.synthesize(request('One. Two. Three. Four. Five.'), during.signal)) {
        seen.push(chunk);
        during.abort();
      }
    })();
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toHaveLength(1);
  });

  it('reads SSML-like and quoted input as text without crashing', async () => {
    const plain = seconds(await collect(request('x')));
    for (const input of ['<b>&amp; "x"', '<speak><break time="10s"/></speak>', 'a < b && c > d', "It's \"quoted\" [[h@l'oU]]", 'line\none\r\ntwo\u0000']) {
      const chunks = await collect(request(input));
      expect(seconds(chunks)).toBeGreaterThan(plain);
      expect(seconds(chunks)).toBeLessThan(8);
    }
  });

  it('ignores instructions and an empty or punctuation-only input yields no audio', async () => {
    expect(seconds(await collect(request('Hi.', { instructions: 'Speak like a pirate' })))).toBeGreaterThan(0.2);
    expect(await collect(request(' ?! '))).toEqual([]);
  });

  it('synthesizes much faster than real time', async () => {
    const started = performance.now();
    const audio = seconds(await collect(request(SENTENCE)));
    const elapsed = (performance.now() - started) / 1000;
    // Printed for the record; the bound is loose for slow CI machines.
    console.log(`eSpeak: ${audio.toFixed(2)} s of audio in ${(elapsed * 1000).toFixed(0)} ms (${(audio / elapsed).toFixed(0)}x real time)`);
    expect(audio / elapsed).toBeGreaterThan(2);
  });
});
