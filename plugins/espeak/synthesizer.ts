/**
 * Drives eSpeak NG compiled to WebAssembly (@echogarden/espeak-ng-emscripten, GPL-3.0). Everything runs in memory:
 * the voice data is mounted in Emscripten's in-memory file system and samples come back through a callback.
 */
import { runInThisContext } from 'node:vm';
import { splitIntoSentences, throwIfAborted, type Pcm, type SpeechBackend, type SpeechRequest } from '../sdk';
import { resolveVoice, type VoiceSettings } from './voices';

/** eSpeak NG's output rate; the server resamples to 24 kHz. */
export const SAMPLE_RATE = 22050;

/** eSpeak's words per minute at speed 1, and the range it accepts (it clamps anything outside it itself). */
const DEFAULT_RATE = 175;
const MIN_RATE = 80;
const MAX_RATE = 450;

/** Sentences longer than this are cut at a clause or word boundary so the first audio arrives quickly. */
const MAX_CHUNK_CHARS = 400;

// ---------------------------------------------------------------------------------------------------------------
// The untyped Emscripten module, as far as we use it (see the glue in echogarden-project/espeak-ng, emscripten/).

interface EspeakWorker {
  /** espeak_SetVoiceByName: accepts `name+variant`; returns 0 on success (2 = not found). */
  set_voice(name: string): number;
  /** Words per minute, applied at the next synthesize(). */
  set_rate(wpm: number): void;
  /** 0–100. */
  set_pitch(pitch: number): void;
  /** 0–100. */
  set_range(range: number): void;
  readonly samplerate: number;
  /**
   * Synchronous: calls back with each buffer of 16-bit samples (a copy, safe to keep) until done; returning true
   * from the callback aborts. The glue always passes espeakSSML | espeakPHONEMES, so text must be escaped.
   */
  synthesize(text: string, callback: (samples: Int16Array | null, events: unknown[]) => boolean): void;
}

interface EspeakModule {
  eSpeakNGWorker: new () => EspeakWorker;
}

type EspeakFactory = (moduleArg?: object) => Promise<EspeakModule>;

/**
 * The package is ES-module only and this project compiles to CommonJS (tsc would turn a dynamic import() into
 * require()), so it is loaded with Node's own require, which loads ES modules since Node 20.19. That require is
 * fetched from the host realm via vm.runInThisContext because under Jest both `require('module')` and
 * `process.getBuiltinModule` are swapped for Jest's loader, which cannot run `import.meta`; in the server the
 * detour yields the very same function.
 */
function requireEspeakFactory(): EspeakFactory {
  const createRequire = runInThisContext('process.getBuiltinModule("module").createRequire') as typeof import('node:module').createRequire;
  const exported = createRequire(__filename)('@echogarden/espeak-ng-emscripten') as { default: EspeakFactory };
  return exported.default;
}

// ---------------------------------------------------------------------------------------------------------------

/** One eSpeak instance (its state is global inside the WASM module, so there is only ever one per thread). */
export class EspeakEngine {
  /** The settings last applied, so interleaved requests only pay for a voice switch when they differ. */
  private applied: { voice: string; pitch: number; range: number; rate: number } | undefined;

  private constructor(private readonly worker: EspeakWorker) {}

  private static loading: Promise<EspeakEngine> | undefined;

  /** Loads the WASM and the ~24 MB voice data once per thread; later calls share it. */
  static load(): Promise<EspeakEngine> {
    EspeakEngine.loading ??= (async () => {
      const module = await requireEspeakFactory()();
      const worker = new module.eSpeakNGWorker();
      if (worker.samplerate !== SAMPLE_RATE) throw new Error(`eSpeak NG runs at ${worker.samplerate} Hz, expected ${SAMPLE_RATE}.`);
      return new EspeakEngine(worker);
    })();
    // A failed load may be retried by the next create().
    EspeakEngine.loading.catch(() => {
      EspeakEngine.loading = undefined;
    });
    return EspeakEngine.loading;
  }

  /** Speaks one piece of plain text; blocks the thread for its duration (~1/20 of the audio's length). */
  synthesize(text: string, voice: VoiceSettings, rate: number): Float32Array {
    this.apply(voice, rate);
    const buffers: Int16Array[] = [];
    this.worker.synthesize(escapeText(text), (samples) => {
      if (samples && samples.length > 0) buffers.push(samples);
      return false;
    });
    const length = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
    const out = new Float32Array(length);
    let offset = 0;
    for (const buffer of buffers) {
      for (let i = 0; i < buffer.length; i++) out[offset + i] = buffer[i] / 32768;
      offset += buffer.length;
    }
    return out;
  }

  private apply(voice: VoiceSettings, rate: number): void {
    const want = { voice: voice.espeakVoice, pitch: voice.pitch, range: voice.range, rate };
    const had = this.applied;
    if (had?.voice !== want.voice) {
      const result = this.worker.set_voice(want.voice);
      // Ids are validated against the shipped list before we get here, so a failure is ours, not the client's.
      if (result !== 0) throw new Error(`eSpeak could not load voice '${want.voice}' (error ${result}).`);
    }
    // The glue passes rate, pitch and range to eSpeak at every synthesize(), so setting them is cheap.
    this.worker.set_rate(want.rate);
    this.worker.set_pitch(want.pitch);
    this.worker.set_range(want.range);
    this.applied = want;
  }
}

/**
 * speed (0.25–4) → words per minute. eSpeak only does 80–450 wpm (it clamps, and this build has no sonic
 * speed-up), so speeds below ~0.46 all sound like 0.46 and above ~2.57 like 2.57: still clearly slower / faster than
 * normal. Going further would need time-stretching the output, which is out of scope for this fallback voice.
 */
export function speedToRate(speed: number): number {
  const requested = Number.isFinite(speed) && speed > 0 ? speed : 1;
  return Math.round(Math.min(MAX_RATE, Math.max(MIN_RATE, DEFAULT_RATE * requested)));
}

/**
 * The glue always enables SSML and `[[phoneme]]` input, so client text is escaped into plain words: `&`, `<`, `>`
 * become entities (read aloud as "and", "less than"…), `[[` is broken up so it is not taken for phoneme mnemonics,
 * and control characters (NUL would end the C string) become spaces.
 */
export function escapeText(text: string): string {
  return text
    .replace(/\p{Cc}/gu, (char) => ('\t\n\r'.includes(char) ? char : ' '))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\[(?=\[)/g, '[ ')
    .replace(/\](?=\])/g, '] ');
}

/** Sentences, over-long ones cut before MAX_CHUNK_CHARS: each becomes one streamed chunk. */
export function splitSentences(text: string): string[] {
  return splitIntoSentences(text, MAX_CHUNK_CHARS);
}

/** Let I/O (a client hanging up, other requests) run between sentences: synthesis itself blocks the thread. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class EspeakSpeechBackend implements SpeechBackend {
  constructor(private readonly engine: EspeakEngine) {}

  /**
   * Checks the voice at once (a bad one is a 400 before any audio), then yields one chunk per sentence.
   * `instructions` is ignored: eSpeak has no style control beyond the voice settings.
   */
  synthesize(request: SpeechRequest, signal: AbortSignal): AsyncIterable<Pcm> {
    const voice = resolveVoice(request.voice, request.input);
    const rate = speedToRate(request.speed);
    return this.sentences(splitSentences(request.input), voice, rate, signal);
  }

  private async *sentences(sentences: string[], voice: VoiceSettings, rate: number, signal: AbortSignal): AsyncGenerator<Pcm> {
    for (const sentence of sentences) {
      throwIfAborted(signal);
      const samples = this.engine.synthesize(sentence, voice, rate);
      if (samples.length > 0) yield { samples, sampleRate: SAMPLE_RATE };
      await nextTurn();
    }
  }
}
