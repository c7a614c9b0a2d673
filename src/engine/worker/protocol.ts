/**
 * What crosses the thread boundary between the engine (main thread) and an inference worker. Everything here is
 * structured-clone data: plugin errors travel as plain objects and are rebuilt on the main thread, because a
 * thrown class loses its identity (and its `param`/`code`) when posted.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DeviceInfo, ModelInfo, Pcm, SpeechRequest, TranscriptionRequest, TranscriptionResult, VoiceEmbedding } from '../../../plugins/sdk';
import type { OrtDeviceOptions } from '../devices';

/** Given to every worker of a pool at start (piscina's workerData). */
export interface WorkerConfig {
  device: DeviceInfo;
  ort: OrtDeviceOptions;
  modelsDir: string;
  /** Seconds an idle model stays loaded; -1 never unloads, 0 unloads right after use. */
  modelTtlSeconds: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

/** Which model of which plugin; the plugin is loaded in the worker from its compiled file. */
export interface ModelRef {
  pluginFile: string;
  model: ModelInfo;
}

export type WorkerTask =
  | { kind: 'load'; ref: ModelRef; pin: boolean }
  | { kind: 'speech'; ref: ModelRef; request: SpeechRequest; port: MessagePort }
  | { kind: 'transcription'; ref: ModelRef; request: TranscriptionRequest; port: MessagePort }
  | { kind: 'voice'; ref: ModelRef; reference: Pcm; port: MessagePort };

/** Main → worker, on a task's port. */
export type ControlMessage = { type: 'abort' };

/** Worker → main, on a task's port, while the task runs. */
export type StreamMessage = { type: 'audio'; samples: Float32Array; sampleRate: number } | { type: 'text'; delta: string };

/**
 * The worker's last word on a task's port. The task's result travels on piscina's own port, which may overtake the
 * stream, so the main thread finishes a stream only once this marker has arrived too.
 */
export const END_OF_STREAM = { type: 'end' } as const;
export type PortMessage = StreamMessage | typeof END_OF_STREAM;

export interface SerializedError {
  name: string;
  message: string;
  param?: string | null;
  code?: string | null;
  stack?: string;
}

export type TaskOutcome<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

export type TaskValue =
  | { kind: 'load'; loadMs: number }
  | { kind: 'speech' }
  | { kind: 'transcription'; result: TranscriptionResult }
  | { kind: 'voice'; embedding: VoiceEmbedding };

/** Worker → main, on the worker's parent port (piscina's `message` event): model lifecycle and log lines. */
export type WorkerEvent =
  | { type: 'model-loaded'; threadId: number; model: string; ms: number }
  | { type: 'model-unloaded'; threadId: number; model: string; idleMs: number }
  | { type: 'log'; threadId: number; level: 'debug' | 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> };

export const WORKER_EVENT = 'ap-engine-event';
export type TaggedWorkerEvent = WorkerEvent & { [WORKER_EVENT]: true };

export function isWorkerEvent(message: unknown): message is TaggedWorkerEvent {
  return typeof message === 'object' && message !== null && (message as Record<string, unknown>)[WORKER_EVENT] === true;
}
