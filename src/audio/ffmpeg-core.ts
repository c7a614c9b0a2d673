import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Loads @ffmpeg/core (FFmpeg compiled to WebAssembly) in Node.
 *
 * The package is built for browsers' workers only (its Emscripten glue hard-codes ENVIRONMENT_IS_WORKER), so it
 * reads `self.location.href` while the factory starts; we provide a stand-in `self` for exactly that moment and
 * remove it again, so no browser-looking global leaks into the rest of the process. The wasm bytes are handed over
 * directly (no fetch). Everything FFmpeg reads and writes lives in its in-memory file system (MEMFS): no temp files.
 *
 * `exec` is synchronous and can run for a long time, so outside tests it belongs in a worker thread.
 */

/** The parts of Emscripten's FS API we use. */
export interface FfmpegFs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  mkdir(path: string): void;
  readdir(path: string): string[];
  analyzePath(path: string): { exists: boolean };
  makedev(major: number, minor: number): number;
  registerDevice(dev: number, ops: FfmpegDeviceOps): void;
  mkdev(path: string, mode: number, dev: number): void;
}

/** Stream operations of a character device (see Emscripten's FS.registerDevice). */
export interface FfmpegDeviceOps {
  open?(stream: unknown): void;
  close?(stream: unknown): void;
  /** `buffer` is a view of the wasm heap (an Int8Array); return the number of bytes read, 0 for end of file. */
  read?(stream: unknown, buffer: Int8Array, offset: number, length: number, position: number): number;
  write?(stream: unknown, buffer: Int8Array, offset: number, length: number, position: number): number;
}

export interface FfmpegCore {
  FS: FfmpegFs;
  /** Runs `ffmpeg <args>` to completion; returns its exit code. */
  exec(...args: string[]): number;
  /** Clears the exit code and timeout between runs (required before the next exec). */
  reset(): void;
  /** Receives every line FFmpeg prints (stdout and stderr); the default drops them. */
  setLogger(logger: (entry: { type: 'stdout' | 'stderr'; message: string }) => void): void;
  /** Cooperative time limit in ms for the next exec, checked by FFmpeg's transcode loop; -1 = none. */
  setTimeout(ms: number): void;
}

type CoreFactory = (options: Record<string, unknown>) => Promise<FfmpegCore>;

/** A compiled WebAssembly.Module (opaque here: the project's `lib` has no WebAssembly types). */
export type WasmModule = object;

/** The little of the WebAssembly API we need. */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: unknown): Promise<object>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function ffmpegCorePaths(): { js: string; wasm: string } {
  return { js: require.resolve('@ffmpeg/core'), wasm: require.resolve('@ffmpeg/core/wasm') };
}

let compiled: Promise<WasmModule> | undefined;

/**
 * The wasm compiled once per process (cached), to hand to worker threads: a WebAssembly.Module can be posted, and
 * instantiating it takes ~25 ms where compiling takes ~150 ms per thread.
 */
export function compileFfmpegCore(): Promise<WasmModule> {
  if (!compiled) {
    const compiling = wasm.compile(wasmBytes());
    compiled = compiling;
    compiling.catch(() => {
      if (compiled === compiling) compiled = undefined;
    });
  }
  return compiled;
}

/**
 * Creates one FFmpeg instance (~0.2–0.3 s). Pass a precompiled module to skip compiling the 32 MB wasm again.
 */
export async function loadFfmpegCore(precompiled?: WasmModule): Promise<FfmpegCore> {
  const { js } = ffmpegCorePaths();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(js) as CoreFactory;
  const options: Record<string, unknown> = {};
  if (precompiled) {
    // Emscripten's hook: we instantiate, then hand the instance back. Saves ~150 ms per thread.
    options.instantiateWasm = (imports: unknown, receive: (instance: object, module: WasmModule) => void) => {
      void wasm.instantiate(precompiled, imports).then((instance) => receive(instance, precompiled));
      return {};
    };
  } else {
    options.wasmBinary = wasmBytes();
  }
  const g = globalThis as { self?: unknown };
  const hadSelf = 'self' in g;
  const previous = g.self;
  g.self = { location: { href: pathToFileURL(js).href } };
  let pending: Promise<FfmpegCore>;
  try {
    // The glue reads `self` synchronously at the start of the factory call, so it may go as soon as this returns.
    pending = factory(options);
  } finally {
    if (hadSelf) g.self = previous;
    else delete g.self;
  }
  return pending;
}

function wasmBytes(): Uint8Array {
  // Not cached: 32 MB per thread is too much to keep around for the rare reload.
  return readFileSync(ffmpegCorePaths().wasm);
}

/** Deletes a file if it exists; FFmpeg's FS throws on missing paths. */
export function removeFile(fs: FfmpegFs, path: string): void {
  if (fs.analyzePath(path).exists) fs.unlink(path);
}

export interface FfmpegRun {
  exitCode: number;
  /** The output file's bytes (empty when FFmpeg wrote none). */
  output: Uint8Array;
  /** Everything FFmpeg printed during the run. */
  log: string[];
}

/**
 * One synchronous FFmpeg run on an in-memory input: `ffmpeg <inputArgs> -i <in> <outputArgs> <out>`. For tools, tests
 * and fixtures; blocks its thread for the whole run. Files are removed from FFmpeg's FS afterwards.
 */
export function runFfmpeg(core: FfmpegCore, input: Uint8Array, inputArgs: string[], outputArgs: string[]): FfmpegRun {
  const log: string[] = [];
  const inPath = '/run-in';
  const outPath = '/run-out';
  core.setLogger(({ message }) => log.push(message));
  try {
    core.FS.writeFile(inPath, input);
    const exitCode = core.exec('-hide_banner', '-nostats', ...inputArgs, '-i', inPath, ...outputArgs, outPath);
    const output = core.FS.analyzePath(outPath).exists ? core.FS.readFile(outPath) : new Uint8Array(0);
    return { exitCode, output, log };
  } finally {
    core.reset();
    core.setLogger(() => undefined);
    removeFile(core.FS, inPath);
    removeFile(core.FS, outPath);
  }
}
