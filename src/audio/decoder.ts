import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { DecodeResult, DecodeTask, DecodeWorkerData } from './decode.worker';
import { AudioDecodeTimeoutError, AudioDecoderBusyError, AudioInputError } from './errors';
import { compileFfmpegCore } from './ffmpeg-core';
import { demuxerFor, detectInputFormat, identifyUnsupportedFormat, SUPPORTED_INPUT_FORMATS, type InputContainer } from './formats';
import type { Pcm } from './pcm';

export interface AudioDecoderOptions {
  /** Longest accepted audio, in seconds; longer input is rejected with `audio_too_long`. */
  maxSeconds: number;
  /** Time budget per decode, from the call (queue wait included) to the result. */
  timeoutMs: number;
  /** Worker threads, each holding one FFmpeg instance. Default: CPU count, at most 4. */
  threads?: number;
  /** Shortest accepted audio, in seconds (`audio_too_short`). Default 0.1 s, as OpenAI. 0 disables the check. */
  minSeconds?: number;
  /**
   * Decodes that may wait while every thread is busy; beyond it `decode` rejects at once with AudioDecoderBusyError.
   * Each waiting decode holds a copy of its upload, so an unbounded queue is unbounded memory. Default: no limit.
   */
  maxQueue?: number;
}

export interface DecodeOptions {
  /** Output rate; default 16000 (what speech recognisers expect). */
  sampleRate?: number;
  /** Cancels the decode (the call rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Overrides the decoder's timeoutMs for this call. */
  timeoutMs?: number;
}

const DEFAULT_SAMPLE_RATE = 16_000;
const DEFAULT_MIN_SECONDS = 0.1;

/**
 * Turns an uploaded file (any supported format, detected from its bytes) into mono float PCM.
 *
 * Decoding runs FFmpeg-wasm in a piscina pool: FFmpeg's exec is synchronous and would otherwise block the event
 * loop. A decode that outlives its budget is aborted, which terminates its thread; the pool starts a replacement.
 */
export class AudioDecoder {
  private readonly pool: Promise<Piscina<DecodeTask, DecodeResult>>;
  private readonly maxSeconds: number;
  private readonly minSeconds: number;
  private readonly timeoutMs: number;
  /** Decodes admitted (running or waiting) and the most that may be. */
  private admitted = 0;
  private readonly capacity: number;

  constructor(options: AudioDecoderOptions) {
    if (!(options.maxSeconds > 0)) throw new RangeError('maxSeconds must be positive');
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    this.maxSeconds = options.maxSeconds;
    this.minSeconds = options.minSeconds ?? DEFAULT_MIN_SECONDS;
    this.timeoutMs = options.timeoutMs;
    const threads = Math.max(1, Math.floor(options.threads ?? Math.min(4, availableParallelism())));
    this.capacity = threads + (options.maxQueue ?? Infinity);
    // Compile the 32 MB wasm once here; each thread then only instantiates it (~25 ms instead of ~200 ms), which
    // also makes replacing a terminated thread cheap.
    this.pool = compileFfmpegCore().then((wasmModule) => {
      const workerData: DecodeWorkerData = { wasmModule };
      return new Piscina<DecodeTask, DecodeResult>({
        filename: join(__dirname, 'decode.worker.js'),
        minThreads: threads,
        maxThreads: threads,
        // Threads stay up: starting one means instantiating FFmpeg again.
        idleTimeout: Infinity,
        concurrentTasksPerWorker: 1,
        workerData,
      });
    });
    // Surface a failed start at the first decode, not as an unhandled rejection.
    this.pool.catch(() => undefined);
  }

  async decode(bytes: Uint8Array, options: DecodeOptions = {}): Promise<Pcm> {
    const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const signal = options.signal;
    signal?.throwIfAborted();
    if (!bytes || bytes.byteLength === 0) throw AudioInputError.empty();

    const container = detectInputFormat(bytes);
    if (!container) {
      const other = identifyUnsupportedFormat(bytes);
      throw other
        ? AudioInputError.unsupported(other, SUPPORTED_INPUT_FORMATS)
        : AudioInputError.invalidFormat(SUPPORTED_INPUT_FORMATS);
    }

    if (this.admitted >= this.capacity) throw new AudioDecoderBusyError();
    this.admitted++;
    try {
      return await this.run(bytes, container, sampleRate, timeoutMs, signal);
    } finally {
      this.admitted--;
    }
  }

  private async run(bytes: Uint8Array, container: InputContainer, sampleRate: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<Pcm> {
    // One copy of the input, into an ArrayBuffer of its own, which is then moved to the worker: the caller's buffer
    // stays untouched and usable, and a small view into a large pooled Buffer does not drag the whole pool along.
    // Not `bytes.slice()`: on a Node Buffer (what multer hands us) that is a view, so the transfer would detach the
    // caller's Buffer.
    const input = new Uint8Array(bytes.byteLength);
    input.set(bytes);
    const task: DecodeTask = {
      input,
      demuxer: demuxerFor(container),
      sampleRate,
      // One second past the limit is enough to know the file is too long.
      limitSeconds: this.maxSeconds + 1,
    };

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let result: DecodeResult;
    try {
      const pool = await this.pool;
      result = await pool.run(task, { transferList: [input.buffer], signal: controller.signal });
    } catch (error) {
      if (timedOut) throw new AudioDecodeTimeoutError(timeoutMs);
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }

    // Not `instanceof Float32Array`: the array comes from another realm (the worker) in some environments.
    if (!ArrayBuffer.isView(result)) throw AudioInputError.undecodable(result.detail);
    const samples = result;
    if (samples.length === 0) throw AudioInputError.noAudio();
    if (samples.length > this.maxSeconds * sampleRate) throw AudioInputError.tooLong(this.maxSeconds);
    if (samples.length < this.minSeconds * sampleRate) throw AudioInputError.tooShort(this.minSeconds);
    return { samples, sampleRate };
  }

  /** Stops the worker threads. Pending decodes are rejected. */
  async close(): Promise<void> {
    const pool = await this.pool.catch(() => undefined);
    await pool?.destroy();
  }
}
