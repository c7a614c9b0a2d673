import type { Pcm } from './pcm';

/**
 * Band-limited sample-rate conversion: a Kaiser-windowed sinc evaluated at exact rational positions (polyphase).
 *
 * Output sample n sits at input time n·from/to, so the filter adds no delay: durations and phases line up with the
 * input, and `ceil(inputLength · to / from)` samples come out. The kernel's cutoff follows the lower of the two
 * rates, so downsampling removes what would otherwise alias (e.g. 48000 → 16000 keeps < 7.2 kHz, stops ≥ 7.9 kHz).
 */

/** Kernel half-width, in zero crossings of the cutoff sinc. 32 gives a ~0.086·fs transition band at ~87 dB. */
const ZERO_CROSSINGS = 32;
/** Passband edge as a fraction of the lower Nyquist; leaves room for the transition band below Nyquist. */
const ROLLOFF = 0.9;
/** Kaiser β for ~87 dB stopband attenuation (β = 0.1102·(A − 8.7)). */
const KAISER_BETA = 8.6;
/**
 * Rate pairs whose reduced ratio has at most this many phases get one exact coefficient row per phase; others
 * (e.g. 44100 → 44101) interpolate linearly between this many rows, which keeps tables small for odd rates.
 */
const MAX_EXACT_PHASES = 1024;
const KERNEL_CACHE_LIMIT = 32;

export interface StreamResampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Resamples the next piece of the stream. Returns the output samples that are complete so far. */
  push(samples: Float32Array): Float32Array;
  /** Ends the stream: returns the remaining output and resets the resampler for a new stream. */
  flush(): Float32Array;
}

interface Kernel {
  /** Reduced ratio: output advances L steps for every M input steps. */
  readonly L: number;
  readonly M: number;
  /** Taps on each side of the output position: output n reads input [base − K + 1, base + K]. */
  readonly K: number;
  readonly taps: number;
  /** Number of coefficient rows; equals L when exact, otherwise rows+1 rows are stored for interpolation. */
  readonly rows: number;
  readonly exact: boolean;
  readonly table: Float32Array;
}

const kernelCache = new Map<string, Kernel>();

export function resample(pcm: Pcm, targetRate: number): Pcm {
  if (pcm.sampleRate === targetRate) return pcm;
  const resampler = new PolyphaseResampler(pcm.sampleRate, targetRate);
  return { samples: resampler.whole(pcm.samples), sampleRate: targetRate };
}

/** A stateful resampler for audio that arrives in pieces; joins are seamless (identical to one-shot output). */
export function createResampler(fromRate: number, toRate: number): StreamResampler {
  if (fromRate === toRate) {
    checkRate(fromRate);
    // Copy so callers may reuse their input buffer, as they can with a real resampler.
    return { fromRate, toRate, push: (samples) => samples.slice(), flush: () => new Float32Array(0) };
  }
  return new PolyphaseResampler(fromRate, toRate);
}

class PolyphaseResampler implements StreamResampler {
  private readonly kernel: Kernel;
  /** Input samples, absolute index `bufStart` sits at `buf[head]`; `length` samples are valid from `head`. */
  private buf: Float32Array;
  private head = 0;
  private length = 0;
  private bufStart = 0;
  /** Total input samples pushed (excluding the leading zero history). */
  private totalIn = 0;
  /** Next output index, with base = floor(n·M/L) and phase = n·M mod L kept incrementally. */
  private nextOut = 0;
  private base = 0;
  private phase = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    checkRate(fromRate);
    checkRate(toRate);
    this.kernel = kernelFor(fromRate, toRate);
    this.buf = new Float32Array(Math.max(4096, this.kernel.taps * 4));
    this.reset();
  }

  push(samples: Float32Array): Float32Array {
    this.append(samples, samples.length);
    const { K, L, M } = this.kernel;
    // Outputs whose right-most tap (base + K) has arrived: n·M/L < totalIn − K.
    const end = this.totalIn - K > 0 ? Math.ceil(((this.totalIn - K) * L) / M) : 0;
    const out = new Float32Array(Math.max(0, end - this.nextOut));
    this.run(out);
    return out;
  }

  flush(): Float32Array {
    const { K, L, M } = this.kernel;
    // Zeros after the end let the last outputs see a complete (silent) right half of the kernel.
    this.append(null, K);
    const total = Math.ceil((this.totalIn * L) / M);
    const out = new Float32Array(Math.max(0, total - this.nextOut));
    this.run(out);
    this.reset();
    return out;
  }

  /** One-shot conversion with a single output allocation. */
  whole(samples: Float32Array): Float32Array {
    this.reset();
    this.append(samples, samples.length);
    return this.flush();
  }

  private reset(): void {
    // K − 1 zeros of history so that output 0 can read input −K + 1 … K.
    this.head = 0;
    this.length = this.kernel.K - 1;
    this.buf.fill(0, 0, this.length);
    this.bufStart = -(this.kernel.K - 1);
    this.totalIn = 0;
    this.nextOut = 0;
    this.base = 0;
    this.phase = 0;
  }

  /** Appends `count` samples from `samples` (or zeros when null), compacting or growing the buffer as needed. */
  private append(samples: Float32Array | null, count: number): void {
    if (this.head + this.length + count > this.buf.length) {
      const needed = this.length + count;
      if (needed <= this.buf.length) {
        this.buf.copyWithin(0, this.head, this.head + this.length);
      } else {
        const grown = new Float32Array(Math.max(needed, this.buf.length * 2));
        grown.set(this.buf.subarray(this.head, this.head + this.length));
        this.buf = grown;
      }
      this.head = 0;
    }
    const at = this.head + this.length;
    if (samples) this.buf.set(samples.subarray(0, count), at);
    else this.buf.fill(0, at, at + count);
    this.length += count;
    if (samples) this.totalIn += count;
  }

  /** Fills `out` with the next out.length output samples, then drops input no later output can read. */
  private run(out: Float32Array): void {
    const { K, L, M, taps, rows, exact, table } = this.kernel;
    const buf = this.buf;
    const stepInt = Math.floor(M / L);
    const stepFrac = M % L;
    let base = this.base;
    let phase = this.phase;
    // Index in buf of absolute input sample (base − K + 1).
    let src = this.head + (base - K + 1 - this.bufStart);
    for (let n = 0; n < out.length; n++) {
      let y: number;
      if (exact) {
        const row = phase * taps;
        let acc = 0;
        for (let i = 0; i < taps; i++) acc += buf[src + i] * table[row + i];
        y = acc;
      } else {
        const pos = (phase * rows) / L;
        const r0 = Math.floor(pos);
        const frac = pos - r0;
        const row0 = r0 * taps;
        const row1 = row0 + taps;
        let acc0 = 0;
        let acc1 = 0;
        for (let i = 0; i < taps; i++) {
          const x = buf[src + i];
          acc0 += x * table[row0 + i];
          acc1 += x * table[row1 + i];
        }
        y = acc0 + frac * (acc1 - acc0);
      }
      out[n] = y;
      base += stepInt;
      src += stepInt;
      phase += stepFrac;
      if (phase >= L) {
        phase -= L;
        base++;
        src++;
      }
    }
    this.nextOut += out.length;
    this.base = base;
    this.phase = phase;
    // The next output reads from absolute index base − K + 1; everything before it is no longer needed.
    const keepFrom = base - K + 1;
    const drop = Math.min(this.length, Math.max(0, keepFrom - this.bufStart));
    this.head += drop;
    this.length -= drop;
    this.bufStart += drop;
  }
}

function checkRate(rate: number): void {
  if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`Invalid sample rate: ${rate}`);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function kernelFor(fromRate: number, toRate: number): Kernel {
  const g = gcd(fromRate, toRate);
  const L = toRate / g;
  const M = fromRate / g;
  const key = `${L}/${M}`;
  let kernel = kernelCache.get(key);
  if (!kernel) {
    kernel = buildKernel(L, M);
    if (kernelCache.size >= KERNEL_CACHE_LIMIT) kernelCache.delete(kernelCache.keys().next().value as string);
    kernelCache.set(key, kernel);
  }
  return kernel;
}

function buildKernel(L: number, M: number): Kernel {
  // Cutoff relative to the input rate (1 = input Nyquist): the lower of the two Nyquists, minus the rolloff margin.
  const cutoff = Math.min(1, L / M) * ROLLOFF;
  const halfWidth = ZERO_CROSSINGS / cutoff;
  const K = Math.ceil(halfWidth);
  const taps = 2 * K;
  const exact = L <= MAX_EXACT_PHASES;
  const rows = exact ? L : MAX_EXACT_PHASES;
  const storedRows = exact ? rows : rows + 1;
  const table = new Float32Array(storedRows * taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let r = 0; r < storedRows; r++) {
    const frac = r / rows;
    let sum = 0;
    const row = r * taps;
    for (let i = 0; i < taps; i++) {
      // Distance from the output position to input sample (base − K + 1 + i).
      const t = frac + (K - 1 - i);
      const ratio = t / halfWidth;
      let h = 0;
      if (Math.abs(ratio) < 1) {
        const x = cutoff * t;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        h = cutoff * sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / i0Beta);
      }
      table[row + i] = h;
      sum += h;
    }
    // Unit DC gain on every phase: otherwise the per-phase gain ripple would modulate constant signals.
    for (let i = 0; i < taps; i++) table[row + i] /= sum;
  }
  return { L, M, K, taps, rows, exact, table };
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the β used here). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}
