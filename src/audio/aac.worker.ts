/**
 * Piscina worker: one task = one whole AAC stream. FFmpeg-wasm runs a single continuous encode,
 * `-f f32le -i /aac-in -c:a aac -f adts /aac-out`, where both paths are character devices we registered in its FS:
 * reading /aac-in blocks (Atomics.wait) until the main thread posts more PCM or ends the stream, and every write to
 * /aac-out is posted straight back. One encoder instance sees the whole stream, so there are no joins at all.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { workerData } from 'piscina';
import {
  ABORT,
  DONE,
  END,
  EXIT,
  SEQ,
  STARTED,
  STATE,
  type AacTask,
  type AacWorkerData,
} from './aac-protocol';
import { loadFfmpegCore, type FfmpegCore } from './ffmpeg-core';

const IN = '/aac-in';
const OUT = '/aac-out';
/** A major number of our own for the two devices (Emscripten's built-ins use 1, 5 and 6). */
const DEVICE_MAJOR = 100;

class Stream {
  private pending: Uint8Array | undefined;
  private pendingOffset = 0;

  constructor(
    private readonly control: Int32Array,
    private readonly input: MessagePort,
    private readonly output: MessagePort,
    private readonly idleTimeoutMs: number,
  ) {}

  /** FFmpeg's read(): returns as soon as any input is available; 0 means end of stream. */
  read(heap: Int8Array, offset: number, length: number): number {
    for (;;) {
      if (this.pending && this.pendingOffset < this.pending.length) {
        const count = Math.min(length, this.pending.length - this.pendingOffset);
        new Uint8Array(heap.buffer, heap.byteOffset + offset, count).set(
          this.pending.subarray(this.pendingOffset, this.pendingOffset + count),
        );
        this.pendingOffset += count;
        return count;
      }
      // Read the state before polling: the main thread posts its last PCM before it sets END, so END seen here
      // with an empty port really is the end.
      const state = Atomics.load(this.control, STATE);
      if (state === ABORT) return 0;
      const seq = Atomics.load(this.control, SEQ);
      const message = receiveMessageOnPort(this.input);
      if (message) {
        this.pending = message.message as Uint8Array;
        this.pendingOffset = 0;
        continue;
      }
      if (state === END) return 0;
      // Sleep until the main thread bumps SEQ (new data or a state change); a long silence means it is gone.
      if (Atomics.wait(this.control, SEQ, seq, this.idleTimeoutMs) === 'timed-out') return 0;
    }
  }

  /** FFmpeg's write(): each flush of the ADTS muxer (one frame, thanks to -flush_packets 1) goes straight out. */
  write(heap: Int8Array, offset: number, length: number): number {
    if (Atomics.load(this.control, STATE) !== ABORT && length > 0) {
      const copy = new Uint8Array(length);
      copy.set(new Uint8Array(heap.buffer, heap.byteOffset + offset, length));
      this.output.postMessage(copy, [copy.buffer]);
    }
    return length;
  }
}

let current: Stream | undefined;

const core: Promise<FfmpegCore> = loadFfmpegCore((workerData as AacWorkerData | undefined)?.wasmModule).then(
  (ffmpeg) => {
    const { FS } = ffmpeg;
    const inputDevice = FS.makedev(DEVICE_MAJOR, 0);
    FS.registerDevice(inputDevice, { read: (_stream, heap, offset, length) => current?.read(heap, offset, length) ?? 0 });
    FS.mkdev(IN, 0o666, inputDevice);
    const outputDevice = FS.makedev(DEVICE_MAJOR, 1);
    FS.registerDevice(outputDevice, {
      write: (_stream, heap, offset, length) => current?.write(heap, offset, length) ?? length,
    });
    FS.mkdev(OUT, 0o666, outputDevice);
    return ffmpeg;
  },
);

export default async function encodeAacStream(task: AacTask): Promise<number> {
  const ffmpeg = await core;
  const control = new Int32Array(task.control);
  current = new Stream(control, task.input, task.output, task.idleTimeoutMs);
  Atomics.store(control, STARTED, 1);
  Atomics.notify(control, STARTED);
  let exitCode = -1;
  try {
    // prettier-ignore
    exitCode = ffmpeg.exec(
      '-hide_banner', '-nostats', '-loglevel', 'error',
      // Raw PCM needs no probing; without these FFmpeg would wait for seconds of input before encoding anything.
      '-probesize', '32', '-analyzeduration', '0',
      '-f', 'f32le', '-ar', String(task.sampleRate), '-ac', '1', '-i', IN,
      '-c:a', 'aac', '-b:a', String(task.bitRate),
      '-flush_packets', '1', '-f', 'adts', OUT,
    );
  } finally {
    current = undefined;
    ffmpeg.reset();
    // Everything FFmpeg wrote has been posted by now; DONE tells the main thread it can collect the rest.
    Atomics.store(control, EXIT, exitCode);
    Atomics.store(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
  return exitCode;
}
