/**
 * Test signals and measurements for the audio suite. Fixtures are synthesised here and encoded with FFmpeg-wasm
 * (in-process: blocking is fine in a test) or our own encoders; no binary fixtures are committed.
 */
import { loadFfmpegCore, runFfmpeg, type FfmpegCore } from '../../src/audio/ffmpeg-core';

/** A sine tone, interleaved when channels > 1 (each channel gets the tone, scaled by `channelGains`). */
export function tone(frequency: number, seconds: number, sampleRate: number, amplitude = 0.5, channelGains = [1]): Float32Array {
  const frames = Math.round(seconds * sampleRate);
  const channels = channelGains.length;
  const out = new Float32Array(frames * channels);
  // Local alias: global lookups inside hot loops are very slow in jest's vm context.
  const sin = Math.sin;
  const step = (2 * Math.PI * frequency) / sampleRate;
  for (let i = 0; i < frames; i++) {
    const v = amplitude * sin(step * i);
    for (let c = 0; c < channels; c++) out[i * channels + c] = v * channelGains[c];
  }
  return out;
}

export function rms(samples: ArrayLike<number>, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** Frequency of the strongest spectral peak (Hann-windowed FFT of the middle of the signal, interpolated). */
export function dominantFrequency(samples: ArrayLike<number>, sampleRate: number): number {
  let size = 1;
  while (size * 2 <= Math.min(samples.length, 1 << 15)) size *= 2;
  const start = Math.floor((samples.length - size) / 2);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < size; i++) re[i] = samples[start + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1)));
  fft(re, im);
  const mag = (k: number): number => Math.hypot(re[k], im[k]);
  let peak = 1;
  for (let k = 2; k < size / 2; k++) if (mag(k) > mag(peak)) peak = k;
  const [a, b, c] = [mag(peak - 1), mag(peak), mag(peak + 1)];
  const offset = (0.5 * (a - c)) / (a - 2 * b + c || 1);
  return ((peak + offset) * sampleRate) / size;
}

/** In-place radix-2 FFT. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const xr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
        const xi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
        re[i + k + len / 2] = re[i + k] - xr;
        im[i + k + len / 2] = im[i + k] - xi;
        re[i + k] += xr;
        im[i + k] += xi;
      }
    }
  }
}

/** Largest second difference: a click or gap in a smooth tone shows up as a spike far above the tone's own. */
export function maxSecondDifference(samples: ArrayLike<number>, from: number, to: number): number {
  let max = 0;
  for (let i = Math.max(1, from); i < Math.min(samples.length - 1, to); i++) {
    max = Math.max(max, Math.abs(samples[i - 1] - 2 * samples[i] + samples[i + 1]));
  }
  return max;
}

let core: Promise<FfmpegCore> | undefined;

/** Encodes interleaved float PCM with FFmpeg-wasm: `outputArgs` pick codec and container. */
export async function ffmpegEncode(samples: Float32Array, sampleRate: number, channels: number, outputArgs: string[]): Promise<Uint8Array> {
  core ??= loadFfmpegCore();
  const input = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  let run;
  try {
    run = runFfmpeg(await core, input, ['-f', 'f32le', '-ar', String(sampleRate), '-ac', String(channels)], outputArgs);
  } catch (error) {
    core = undefined; // a wasm trap leaves the instance unusable
    throw error;
  }
  if (run.exitCode !== 0) throw new Error(`ffmpeg failed (${run.exitCode}): ${run.log.slice(-5).join('\n')}`);
  return run.output;
}

/** Decodes any file FFmpeg reads (a player's view, independent of the server's decoder) to mono float PCM. */
export async function ffmpegDecode(bytes: Uint8Array, sampleRate: number, inputArgs: string[] = []): Promise<Float32Array> {
  core ??= loadFfmpegCore();
  const run = runFfmpeg(await core, bytes, inputArgs, ['-f', 'f32le', '-ac', '1', '-ar', String(sampleRate)]);
  if (run.exitCode !== 0) throw new Error(`ffmpeg could not decode (${run.exitCode}): ${run.log.slice(-5).join('\n')}`);
  return new Float32Array(run.output.buffer.slice(run.output.byteOffset, run.output.byteOffset + run.output.byteLength));
}

/** Deterministic pseudo-random bytes (garbage input). */
export function noiseBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
}

export function ascii(bytes: Uint8Array, from: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, length).toString('latin1');
}
