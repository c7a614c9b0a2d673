/**
 * The shared-memory protocol between an AAC stream encoder (main thread) and its FFmpeg run (worker thread).
 *
 * PCM goes to the worker as messages on a MessagePort and encoded ADTS frames come back on another; neither side
 * uses its event loop for them (the worker is blocked inside FFmpeg, the main thread's API is synchronous), so both
 * read with `receiveMessageOnPort` and use this Int32Array on a SharedArrayBuffer to wait and wake.
 */

/** Bumped (and notified) by the main thread after each message or state change; the worker waits on it. */
export const SEQ = 0;
/** Stream state set by the main thread: RUNNING, END (flush and exit) or ABORT (exit, output unwanted). */
export const STATE = 1;
/** Set to 1 (and notified) by the worker when FFmpeg is about to read: the stream owns a thread. */
export const STARTED = 2;
/** Set to 1 (and notified) by the worker once FFmpeg has exited and all output has been posted. */
export const DONE = 3;
/** FFmpeg's exit code, valid once DONE is 1. */
export const EXIT = 4;
export const CONTROL_SLOTS = 5;

export const RUNNING = 0;
export const END = 1;
export const ABORT = 2;

export interface AacTask {
  control: SharedArrayBuffer;
  /** Float32 little-endian PCM, as Uint8Array messages. */
  input: import('node:worker_threads').MessagePort;
  /** ADTS bytes, as Uint8Array messages. */
  output: import('node:worker_threads').MessagePort;
  sampleRate: number;
  bitRate: number;
  /** No input for this long means the stream was abandoned: FFmpeg is ended so the thread is freed. */
  idleTimeoutMs: number;
}

export interface AacWorkerData {
  wasmModule?: object;
}
