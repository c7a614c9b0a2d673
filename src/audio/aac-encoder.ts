import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import {
  ABORT,
  CONTROL_SLOTS,
  DONE,
  END,
  EXIT,
  SEQ,
  STARTED,
  STATE,
  type AacTask,
  type AacWorkerData,
} from './aac-protocol';
import { compileFfmpegCore } from './ffmpeg-core';
import { contentTypeFor, type StreamEncoder } from './stream-encoder';

/**
 * aac (ADTS) output. libav.js has no AAC encoder, so this uses FFmpeg-wasm's native `aac` encoder.
 *
 * Why a worker per stream rather than encoding chunk by chunk: separately encoded chunks do not join cleanly (each
 * run starts with its own 1024-sample priming and MDCT overlap, so every join would click), and encoding everything
 * at finish() would not stream. Instead each stream gets one continuous FFmpeg run in a pool thread (see
 * aac.worker.ts), fed PCM through a blocking device: true streaming with a single encoder state.
 *
 * Costs: a stream holds a pool thread for its lifetime (threads mostly sleep, waiting for PCM), and `encode()`
 * returns the frames the worker has finished so far, so output trails input by a push. `finish()` blocks the calling
 * thread until FFmpeg has flushed (it encodes ~80× real time, so normally a few ms; longer if a large push is still
 * being encoded). Like any ADTS stream, the output begins with the encoder's 1024-sample priming, which ADTS cannot
 * signal, so decoders play ~43 ms (at 24 kHz) of near-silence first.
 */

export const AAC_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000] as const;

export interface AacEncoderPoolOptions {
  /** Most concurrent AAC streams (each holds a thread); more wait for a free one. Default: 2 × CPUs, at least 4. */
  maxStreams?: number;
  /** A stream that receives no PCM for this long is ended by its worker (abandoned encoders). Default 5 min. */
  idleTimeoutMs?: number;
}

const START_TIMEOUT_MS = 30_000;
const FINISH_TIMEOUT_MS = 30_000;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
/** Idle threads linger this long so that the next stream does not pay for a thread start. */
const THREAD_IDLE_MS = 60_000;

let poolOptions: AacEncoderPoolOptions = {};
let pool: Promise<Piscina<AacTask, number>> | undefined;

/** Sets the pool's size and idle timeout; applies to the pool created next (call before the first aac stream). */
export function configureAacEncoder(options: AacEncoderPoolOptions): void {
  poolOptions = { ...options };
}

/** Stops the AAC worker threads (server shutdown, end of tests). Streams still running are cut off. */
export async function shutdownAacEncoder(): Promise<void> {
  const current = pool;
  pool = undefined;
  const resolved = await current?.catch(() => undefined);
  await resolved?.destroy();
}

function getPool(): Promise<Piscina<AacTask, number>> {
  if (!pool) {
    const maxThreads = poolOptions.maxStreams ?? Math.max(4, 2 * availableParallelism());
    const creating = compileFfmpegCore().then((wasmModule) => {
      const workerData: AacWorkerData = { wasmModule };
      return new Piscina<AacTask, number>({
        filename: join(__dirname, 'aac.worker.js'),
        minThreads: 0,
        maxThreads,
        idleTimeout: THREAD_IDLE_MS,
        concurrentTasksPerWorker: 1,
        workerData,
      });
    });
    pool = creating;
    creating.catch(() => {
      if (pool === creating) pool = undefined;
    });
  }
  return pool;
}

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
// Node has Atomics.waitAsync; the project's `lib` (ES2023) does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Abandoned encoders (never finished or closed) release their worker when collected. */
const abandoned = new FinalizationRegistry<Int32Array>((control) => signal(control, ABORT));

function signal(control: Int32Array, state: number): void {
  Atomics.store(control, STATE, state);
  Atomics.add(control, SEQ, 1);
  Atomics.notify(control, SEQ);
}

export async function createAacEncoder(sampleRate: number, bitRate = 64_000): Promise<StreamEncoder> {
  if (!(AAC_RATES as readonly number[]).includes(sampleRate)) throw new RangeError(`aac cannot encode at ${sampleRate} Hz`);
  const workers = await getPool();
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const toWorker = new MessageChannel();
  const fromWorker = new MessageChannel();
  // Our ends are only ever read with receiveMessageOnPort; they must not keep the process alive.
  toWorker.port1.unref();
  fromWorker.port2.unref();
  const abort = new AbortController();
  const task: AacTask = {
    control: control.buffer as SharedArrayBuffer,
    input: toWorker.port2,
    output: fromWorker.port1,
    sampleRate,
    bitRate,
    idleTimeoutMs: poolOptions.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
  };
  const run = workers.run(task, { transferList: [toWorker.port2, fromWorker.port1], signal: abort.signal });
  run.catch(() => undefined); // Failures surface through DONE/EXIT (or the start check below).

  // Wait (without blocking) until a thread has taken the stream: finish() blocks on the worker, which must not be
  // a task still sitting in the queue behind the blocked main thread.
  const started = waitAsync(control, STARTED, 0, START_TIMEOUT_MS);
  if (started.async) await Promise.race([started.value, run.then(() => 'ended', () => 'failed')]);
  if (Atomics.load(control, STARTED) !== 1) {
    abort.abort();
    toWorker.port1.close();
    fromWorker.port2.close();
    await run.catch((error: unknown) => {
      throw new Error('aac encoder failed to start', { cause: error });
    });
    throw new Error('aac encoder failed to start');
  }
  return new AacStreamEncoder(sampleRate, control, toWorker.port1, fromWorker.port2, abort);
}

class AacStreamEncoder implements StreamEncoder {
  readonly format = 'aac';
  readonly contentType = contentTypeFor('aac');
  readonly inputRate: number;
  private open = true;

  constructor(
    readonly sampleRate: number,
    private readonly control: Int32Array,
    private readonly input: MessagePort,
    private readonly output: MessagePort,
    private readonly abort: AbortController,
  ) {
    this.inputRate = sampleRate;
    abandoned.register(this, control, this);
  }

  encode(samples: Float32Array): Uint8Array[] {
    if (!this.open) throw new Error('aac encoder is finished');
    if (samples.length) {
      // Copy into a buffer of our own and transfer that: the caller keeps its array.
      const copy = new Float32Array(samples);
      this.input.postMessage(new Uint8Array(copy.buffer), [copy.buffer]);
      Atomics.add(this.control, SEQ, 1);
      Atomics.notify(this.control, SEQ);
    }
    return this.drain();
  }

  finish(): Uint8Array[] {
    if (!this.open) return [];
    signal(this.control, END);
    // Blocks this thread until FFmpeg has encoded the rest and flushed; see the note at the top.
    Atomics.wait(this.control, DONE, 0, FINISH_TIMEOUT_MS);
    const rest = this.drain();
    const done = Atomics.load(this.control, DONE) === 1;
    const exitCode = Atomics.load(this.control, EXIT);
    if (!done) this.abort.abort(); // Terminates the stuck thread; the pool replaces it.
    this.release();
    if (!done) throw new Error('aac encoder did not finish in time');
    if (exitCode !== 0) throw new Error(`aac encoder failed (ffmpeg exit code ${exitCode})`);
    return rest;
  }

  close(): void {
    if (!this.open) return;
    signal(this.control, ABORT);
    this.release();
  }

  private drain(): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    for (let message = receiveMessageOnPort(this.output); message; message = receiveMessageOnPort(this.output)) {
      chunks.push(message.message as Uint8Array);
    }
    return chunks;
  }

  private release(): void {
    this.open = false;
    abandoned.unregister(this);
    this.input.close();
    this.output.close();
  }
}
