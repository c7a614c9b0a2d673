/**
 * Piscina worker: decodes one upload with FFmpeg-wasm into mono float PCM.
 *
 * One FFmpeg instance per thread, created when the thread starts (from the module the pool compiled once) and
 * reused while tasks succeed; `reset()` and deleting our files from its in-memory FS between tasks keep runs
 * independent. A failed run costs the instance (see `decode`).
 * A task that runs too long is not stopped here: the pool aborts it, which terminates this thread.
 */
import { move, workerData } from 'piscina';
import { loadFfmpegCore, removeFile, type FfmpegCore, type WasmModule } from './ffmpeg-core';

export interface DecodeTask {
  /** The file, transferred to this thread. */
  input: Uint8Array;
  /** FFmpeg demuxer chosen from the file's magic bytes. */
  demuxer: string;
  sampleRate: number;
  /** Stop decoding after this many seconds of audio (the caller rejects anything over its limit anyway). */
  limitSeconds: number;
}

export interface DecodeFailure {
  error: 'decode_failed';
  /** FFmpeg's last error lines, for logs. */
  detail: string;
}

/** Mono float samples (moved, not copied, to the caller), or why decoding failed. */
export type DecodeResult = Float32Array | DecodeFailure;

export interface DecodeWorkerData {
  wasmModule?: WasmModule;
}

const IN = '/decode/in';
const OUT = '/decode/out.f32';
const LOG_LINES = 8;

const log: string[] = [];
let core: Promise<FfmpegCore> = start();

function start(): Promise<FfmpegCore> {
  return loadFfmpegCore((workerData as DecodeWorkerData | undefined)?.wasmModule).then((instance) => {
    // Keep only the last few lines: enough to explain a failure in the server log, never the whole stream.
    instance.setLogger(({ message }) => {
      log.push(message);
      if (log.length > LOG_LINES) log.shift();
    });
    instance.FS.mkdir('/decode');
    return instance;
  });
}

/** A run that trapped inside the wasm instance (e.g. "memory access out of bounds"): its heap cannot be trusted. */
class Trapped {
  constructor(readonly message: string) {}
}

/**
 * Decodes on this thread's FFmpeg instance, replacing the instance whenever a run fails. FFmpeg is C code reading
 * hostile bytes: a failed run exits mid-way (emscripten's exit/abort skips FFmpeg's clean-up) and can leave the heap
 * damaged, so a *later*, innocent file would trap. A fresh instance (~25 ms from the compiled module) after each
 * failure keeps one client's bad file from breaking the next client's request. A trap, which may still come from
 * damage a file that decoded "fine" left behind, gets one retry on a fresh instance; a second trap is the file's
 * own fault and is reported as undecodable (400), never thrown (which would be a 500).
 */
export default async function decode(task: DecodeTask): Promise<DecodeResult> {
  const first = await attempt(task);
  if (!(first instanceof Trapped)) return first;
  const second = await attempt(task);
  if (!(second instanceof Trapped)) return second;
  return { error: 'decode_failed', detail: `FFmpeg trapped twice: ${second.message}` };
}

async function attempt(task: DecodeTask): Promise<DecodeResult | Trapped> {
  const ffmpeg = await core;
  log.length = 0;
  let failed = true;
  try {
    ffmpeg.FS.writeFile(IN, task.input);
    // prettier-ignore
    const exitCode = ffmpeg.exec(
      '-hide_banner', '-nostats', '-loglevel', 'error',
      // The demuxer is forced (never probed) and reading stops after the time limit: a long file costs no more
      // than limitSeconds of decoding.
      '-f', task.demuxer, '-t', String(task.limitSeconds), '-i', IN,
      '-map', '0:a:0', '-vn', '-sn', '-dn',
      '-ac', '1', '-ar', String(task.sampleRate),
      '-c:a', 'pcm_f32le', '-f', 'f32le', OUT,
    );
    if (exitCode !== 0) return { error: 'decode_failed', detail: log.join('\n') || `ffmpeg exited with ${exitCode}` };
    const bytes = ffmpeg.FS.readFile(OUT);
    failed = false;
    // readFile returns a fresh copy that starts at offset 0, so it can be viewed as floats and moved as is.
    const samples = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
    return move(samples) as Float32Array;
  } catch (error) {
    return new Trapped((error as Error)?.message ?? String(error));
  } finally {
    if (failed) {
      core = start();
    } else {
      ffmpeg.reset();
      removeFile(ffmpeg.FS, IN);
      removeFile(ffmpeg.FS, OUT);
    }
  }
}
