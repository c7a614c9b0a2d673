/**
 * The plugin SDK: the only module a plugin may import from this repository.
 *
 * A plugin is a folder under `plugins/` (or an npm package named in PLUGINS) whose `plugin` module's default
 * export is `definePlugin({...})`. The server reads the manifest to list models and voices without loading any
 * weights, and calls `create()` to get the backends. Nothing here depends on HTTP or NestJS, so plugin code can
 * run inside worker threads.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { Pcm } from '../../src/audio/pcm';

export type { Pcm } from '../../src/audio/pcm';
export { resample } from '../../src/audio/resample';

/** What a model can be asked to do. */
export type Task = 'speech' | 'transcription' | 'translation';

export interface VoiceInfo {
  /** The id clients pass as `voice` (e.g. `alloy`). */
  id: string;
  /** A human-readable name. */
  name: string;
  /** BCP-47 / ISO-639-1 language codes the voice speaks. */
  languages: string[];
}

export interface ModelCapabilities {
  /** Speech: audio is produced incrementally. Transcription: segments are reported as they are decoded. */
  streaming?: boolean;
  /** Transcription: word-level timestamps. */
  wordTimestamps?: boolean;
  /** Speech: zero-shot voice cloning from a reference clip. */
  voiceCloning?: boolean;
}

export interface ModelInfo {
  /** The id served at /v1/models and accepted as `model`. */
  id: string;
  tasks: Task[];
  /** Who made the model (shown as `owned_by`). */
  ownedBy: string;
  /** Languages the model handles; omitted when it handles any. */
  languages?: string[];
  /** Speech models: the voices they offer. */
  voices?: VoiceInfo[];
  capabilities?: ModelCapabilities;
  /**
   * For a capability the model lacks: why, and what to use instead (e.g. which export to pull). The server answers
   * a request for it with this text in its 400.
   */
  capabilityHints?: Partial<Record<keyof ModelCapabilities, string>>;
}

export interface PluginManifest {
  models: ModelInfo[];
  /**
   * OpenAI model names this plugin would like to answer (e.g. `{ 'tts-1': 'espeak' }`). The server's ALIASES setting
   * wins over these; among plugins, the one configured first wins.
   */
  aliases?: Record<string, string>;
}

/** The compute device a worker is pinned to. */
export interface DeviceInfo {
  /** As configured in DEVICES: `cpu`, `cpu:1`, `cuda:0`, … */
  id: string;
  kind: 'cpu' | 'cuda';
  /** The device ordinal (CUDA deviceId; for CPU, only tells pools apart). */
  index: number;
}

/** Per-session overrides a plugin may ask for; the operator's provider options and thread budget always apply. */
export interface SessionOverrides {
  /** Extra onnxruntime session options (e.g. `freeDimensionOverrides`); never the execution providers. */
  sessionOptions?: Record<string, unknown>;
}

/** What `describe` gets, on the main thread. */
export type DescribeContext = Pick<PluginContext, 'modelsDir' | 'log'>;

/** What the server hands a plugin's `create`, inside a worker. */
export interface PluginContext {
  /** Where model weights live (MODELS_DIR). */
  modelsDir: string;
  /** Logger that never receives request content unless the operator asked for it. */
  log: PluginLogger;
  /** The device this worker runs on. */
  device: DeviceInfo;
  /**
   * Opens an onnxruntime-node session (from a file path, so `.onnx_data` sidecars resolve, or from bytes) on this
   * worker's device, with the execution providers, provider options and intra-op thread budget the operator set.
   * Plugins open every session through this, so DEVICES and ORT_* settings hold for all of them.
   */
  createSession(model: string | Uint8Array, overrides?: SessionOverrides): Promise<InferenceSession>;
}

export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Speech

export interface SpeechRequest {
  model: string;
  input: string;
  /** A voice id from the manifest, or a custom voice id (`voice_…`). */
  voice: string;
  /** 0.25 – 4, 1 = normal. */
  speed: number;
  instructions?: string;
  /** Extra JSON fields sent by the client that are not OpenAI's (backend-specific options, e.g. `seed`). */
  extra: Record<string, unknown>;
  /** Set when `voice` named a cloned voice: what the model's cloning backend computed for it. */
  customVoice?: CustomVoice;
}

// ---------------------------------------------------------------------------------------------------------------
// Voice cloning

/** One tensor of a cloned voice, as plain data: it crosses threads and is stored on disk by the server. */
export interface VoiceTensor {
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** A cloned voice's conditioning: named tensors, opaque to the server, meaningful to the model that made them. */
export type VoiceEmbedding = Record<string, VoiceTensor>;

export interface CustomVoice {
  /** `voice_…`. */
  id: string;
  name: string;
  embedding: VoiceEmbedding;
}

export interface VoiceCloningBackend {
  /**
   * Computes a voice from a reference clip (mono, any rate: the backend resamples). Runs once per voice; the server
   * stores the result and passes it back in `SpeechRequest.customVoice`.
   */
  embed(reference: Pcm, signal: AbortSignal): Promise<VoiceEmbedding>;
}

export interface SpeechBackend {
  /**
   * Yields audio as it is produced. Each chunk carries its sample rate; the server resamples and encodes.
   * Must stop promptly (throw or return) once `signal` is aborted.
   */
  synthesize(request: SpeechRequest, signal: AbortSignal): AsyncIterable<Pcm>;
}

// ---------------------------------------------------------------------------------------------------------------
// Transcription

export interface TranscriptionRequest {
  model: string;
  task: 'transcribe' | 'translate';
  /** 16 kHz mono audio in [-1, 1]. */
  audio: Float32Array;
  /** ISO-639-1 code; absent = detect. */
  language?: string;
  prompt?: string;
  /** 0 – 1. */
  temperature: number;
  /** Which timestamps the client wants; the backend may skip work for the others. */
  timestamps: { segment: boolean; word: boolean };
}

export interface TranscriptionSegment {
  id: number;
  seek: number;
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avg_logprob: number;
  compression_ratio: number;
  no_speech_prob: number;
}

export interface TranscriptionWord {
  word: string;
  start: number;
  end: number;
}

export interface TranscriptionResult {
  text: string;
  /** ISO-639-1 code of the (detected or given) language. */
  language: string;
  /** Seconds of audio. */
  duration: number;
  segments: TranscriptionSegment[];
  words: TranscriptionWord[];
}

export interface TranscriptionProgress {
  /** Called with each piece of text as it is decoded, in order; the pieces concatenate to the final text. */
  onText?(delta: string): void;
}

export interface TranscriptionBackend {
  transcribe(request: TranscriptionRequest, signal: AbortSignal, progress?: TranscriptionProgress): Promise<TranscriptionResult>;
}

// ---------------------------------------------------------------------------------------------------------------
// The plugin itself

/** One loaded model, inside one worker. */
export interface PluginInstance {
  speech?: SpeechBackend;
  transcription?: TranscriptionBackend;
  /** Models with `capabilities.voiceCloning`. */
  voiceCloning?: VoiceCloningBackend;
  /** Releases sessions and native memory (GPU memory included): call `session.release()` on every session. */
  dispose?(): Promise<void> | void;
}

export interface PluginDefinition {
  /** Unique, lowercase, used in logs and config. */
  id: string;
  /**
   * Models and aliases; may look at `modelsDir` to list what is installed. Must not load weights. Runs on the main
   * thread (only `modelsDir` and `log` are set there).
   */
  describe(context: DescribeContext): PluginManifest | Promise<PluginManifest>;
  /**
   * Loads one model and builds its backends. Runs inside a worker thread, once per worker and model, on first use
   * (or at start for PRELOAD_MODELS); `dispose()` of the result is called when the model idles past MODEL_TTL_S.
   */
  create(context: PluginContext, model: ModelInfo): PluginInstance | Promise<PluginInstance>;
}

export function definePlugin(definition: PluginDefinition): PluginDefinition {
  return definition;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors a plugin throws to tell the client what was wrong with its request (the server answers 400).

export class PluginInputError extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = 'invalid_value',
  ) {
    super(message);
    this.name = 'PluginInputError';
  }
}

/** Thrown (or rethrown) by a backend when it stopped because its AbortSignal fired. */
export class CancelledError extends Error {
  constructor(message = 'The request was cancelled.') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers shared by plugins (pure TypeScript; onnxruntime helpers live in `plugins/sdk/onnx-tensors`).

export { splitIntoSentences } from './text';
export { float32ToHalf, halfToFloat32 } from './float16';
export { argmax, applyRepetitionPenalty, GREEDY, sampleToken, seededRandom, type Random, type SamplingOptions } from './sampling';
export { BpeMerges, BYTE_TO_CHAR, CHAR_TO_BYTE, GPT2_SPLIT, type MergeJson } from './bpe';
