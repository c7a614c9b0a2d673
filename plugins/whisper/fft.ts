/**
 * Fast Fourier transforms for the sizes Whisper needs (n_fft = 400 = 2^4·5^2, not a power of two).
 *
 * A mixed-radix Cooley–Tukey FFT (the KISS FFT recursion: radix 4, 2, 3, 5, then any prime) with twiddles and
 * scratch allocated once per plan, and a real-input FFT that packs n real samples into an n/2-point complex FFT.
 * Forward transforms only, unnormalized: X[k] = Σ x[j]·e^(−2πi·jk/n), which is what STFT code expects.
 */

/** Radices in the order KISS FFT tries them; whatever remains is split into its prime factors. */
function factorize(n: number): number[] {
  const stages: number[] = [];
  let rest = n;
  let p = 4;
  while (rest > 1) {
    while (rest % p !== 0) {
      p = p === 4 ? 2 : p === 2 ? 3 : p + 2;
      if (p * p > rest) p = rest;
    }
    stages.push(p);
    rest /= p;
  }
  return stages;
}

/** One butterfly pass: `blocks` blocks of p·m outputs, each combining p transforms of length m. */
interface Stage {
  radix: number;
  m: number;
  /** Twiddle stride: n / (p·m), also the number of blocks. */
  stride: number;
}

/**
 * An n-point complex FFT plan. The KISS FFT recursion is flattened once, in the constructor, into an input
 * permutation and a list of butterfly stages, so a transform is a gather plus tight loops.
 */
export class ComplexFft {
  readonly size: number;
  /** Output slot i of the first stage reads input `permutation[i]`. */
  readonly permutation: Int32Array;
  private readonly stages: Stage[] = [];
  private readonly twiddleRe: Float64Array;
  private readonly twiddleIm: Float64Array;
  private readonly scratchRe: Float64Array;
  private readonly scratchIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer, got ${size}`);
    this.size = size;
    const radices = size === 1 ? [] : factorize(size);
    this.twiddleRe = new Float64Array(size);
    this.twiddleIm = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      const phase = (-2 * Math.PI * k) / size;
      this.twiddleRe[k] = Math.cos(phase);
      this.twiddleIm[k] = Math.sin(phase);
    }
    const largest = Math.max(1, ...radices);
    this.scratchRe = new Float64Array(largest);
    this.scratchIm = new Float64Array(largest);

    // Decimation in time: the p sub-sequences x[q·stride + j·stride·p] land in consecutive blocks of m outputs.
    this.permutation = new Int32Array(size);
    const place = (outStart: number, inStart: number, stride: number, stage: number): void => {
      if (stage === radices.length) {
        this.permutation[outStart] = inStart;
        return;
      }
      const m = size / (stride * radices[stage]);
      for (let q = 0; q < radices[stage]; q++) place(outStart + q * m, inStart + q * stride, stride * radices[stage], stage + 1);
    };
    place(0, 0, 1, 0);
    // Butterflies run innermost (shortest) transforms first.
    let stride = size;
    for (let s = radices.length - 1; s >= 0; s--) {
      stride /= radices[s];
      this.stages.push({ radix: radices[s], m: size / (stride * radices[s]), stride });
    }
  }

  /** Forward transform of (inRe, inIm) into (outRe, outIm); input and output must not overlap. */
  forward(inRe: ArrayLike<number>, inIm: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    const perm = this.permutation;
    for (let i = 0; i < this.size; i++) {
      outRe[i] = inRe[perm[i]];
      outIm[i] = inIm[perm[i]];
    }
    this.butterflies(outRe, outIm);
  }

  /** The butterfly stages on data already gathered through {@link permutation}, in place. */
  butterflies(re: Float64Array, im: Float64Array): void {
    const stages = this.stages;
    for (let s = 0; s < stages.length; s++) {
      const { radix, m, stride } = stages[s];
      const blockLength = radix * m;
      for (let start = 0; start < this.size; start += blockLength) {
        if (radix === 2) this.butterfly2(re, im, start, stride, m);
        else if (radix === 4) this.butterfly4(re, im, start, stride, m);
        else if (radix === 5) this.butterfly5(re, im, start, stride, m);
        else this.butterflyGeneric(re, im, start, stride, m, radix);
      }
    }
  }

  private butterfly2(re: Float64Array, im: Float64Array, start: number, stride: number, m: number): void {
    const twRe = this.twiddleRe;
    const twIm = this.twiddleIm;
    for (let u = 0; u < m; u++) {
      const a = start + u;
      const b = a + m;
      const wr = twRe[u * stride];
      const wi = twIm[u * stride];
      const tr = re[b] * wr - im[b] * wi;
      const ti = re[b] * wi + im[b] * wr;
      re[b] = re[a] - tr;
      im[b] = im[a] - ti;
      re[a] += tr;
      im[a] += ti;
    }
  }

  private butterfly4(re: Float64Array, im: Float64Array, start: number, stride: number, m: number): void {
    const twRe = this.twiddleRe;
    const twIm = this.twiddleIm;
    for (let u = 0; u < m; u++) {
      const i0 = start + u;
      const i1 = i0 + m;
      const i2 = i1 + m;
      const i3 = i2 + m;
      const w1 = u * stride;
      const w2 = 2 * w1;
      const w3 = 3 * w1;
      const b1r = re[i1] * twRe[w1] - im[i1] * twIm[w1];
      const b1i = re[i1] * twIm[w1] + im[i1] * twRe[w1];
      const b2r = re[i2] * twRe[w2] - im[i2] * twIm[w2];
      const b2i = re[i2] * twIm[w2] + im[i2] * twRe[w2];
      const b3r = re[i3] * twRe[w3] - im[i3] * twIm[w3];
      const b3i = re[i3] * twIm[w3] + im[i3] * twRe[w3];
      const s0r = re[i0] + b2r;
      const s0i = im[i0] + b2i;
      const s1r = re[i0] - b2r;
      const s1i = im[i0] - b2i;
      const s2r = b1r + b3r;
      const s2i = b1i + b3i;
      const s3r = b1r - b3r;
      const s3i = b1i - b3i;
      re[i0] = s0r + s2r;
      im[i0] = s0i + s2i;
      re[i2] = s0r - s2r;
      im[i2] = s0i - s2i;
      // Forward transform: multiply (b1 − b3) by −i.
      re[i1] = s1r + s3i;
      im[i1] = s1i - s3r;
      re[i3] = s1r - s3i;
      im[i3] = s1i + s3r;
    }
  }

  /** KISS FFT's radix-5 butterfly: the 5-point DFT written out with its two distinct twiddles. */
  private butterfly5(re: Float64Array, im: Float64Array, start: number, stride: number, m: number): void {
    const twRe = this.twiddleRe;
    const twIm = this.twiddleIm;
    const yar = twRe[stride * m];
    const yai = twIm[stride * m];
    const ybr = twRe[2 * stride * m];
    const ybi = twIm[2 * stride * m];
    for (let u = 0; u < m; u++) {
      const i0 = start + u;
      const i1 = i0 + m;
      const i2 = i1 + m;
      const i3 = i2 + m;
      const i4 = i3 + m;
      const w1 = u * stride;
      const w2 = 2 * w1;
      const w3 = 3 * w1;
      const w4 = 4 * w1;
      const s0r = re[i0];
      const s0i = im[i0];
      const s1r = re[i1] * twRe[w1] - im[i1] * twIm[w1];
      const s1i = re[i1] * twIm[w1] + im[i1] * twRe[w1];
      const s2r = re[i2] * twRe[w2] - im[i2] * twIm[w2];
      const s2i = re[i2] * twIm[w2] + im[i2] * twRe[w2];
      const s3r = re[i3] * twRe[w3] - im[i3] * twIm[w3];
      const s3i = re[i3] * twIm[w3] + im[i3] * twRe[w3];
      const s4r = re[i4] * twRe[w4] - im[i4] * twIm[w4];
      const s4i = re[i4] * twIm[w4] + im[i4] * twRe[w4];
      const s7r = s1r + s4r;
      const s7i = s1i + s4i;
      const s10r = s1r - s4r;
      const s10i = s1i - s4i;
      const s8r = s2r + s3r;
      const s8i = s2i + s3i;
      const s9r = s2r - s3r;
      const s9i = s2i - s3i;
      re[i0] = s0r + s7r + s8r;
      im[i0] = s0i + s7i + s8i;
      const s5r = s0r + s7r * yar + s8r * ybr;
      const s5i = s0i + s7i * yar + s8i * ybr;
      const s6r = s10i * yai + s9i * ybi;
      const s6i = -s10r * yai - s9r * ybi;
      re[i1] = s5r - s6r;
      im[i1] = s5i - s6i;
      re[i4] = s5r + s6r;
      im[i4] = s5i + s6i;
      const s11r = s0r + s7r * ybr + s8r * yar;
      const s11i = s0i + s7i * ybr + s8i * yar;
      const s12r = -s10i * ybi + s9i * yai;
      const s12i = s10r * ybi - s9r * yai;
      re[i2] = s11r + s12r;
      im[i2] = s11i + s12i;
      re[i3] = s11r - s12r;
      im[i3] = s11i - s12i;
    }
  }

  private butterflyGeneric(re: Float64Array, im: Float64Array, start: number, stride: number, m: number, p: number): void {
    const n = this.size;
    const twRe = this.twiddleRe;
    const twIm = this.twiddleIm;
    const sRe = this.scratchRe;
    const sIm = this.scratchIm;
    for (let u = 0; u < m; u++) {
      for (let q = 0, k = start + u; q < p; q++, k += m) {
        sRe[q] = re[k];
        sIm[q] = im[k];
      }
      for (let q1 = 0, k = u; q1 < p; q1++, k += m) {
        // Output k of this block: Σ_q s[q]·W_n^(q·k·stride); the exponent stays below 2n, so one wrap suffices.
        const step = stride * k;
        let accRe = sRe[0];
        let accIm = sIm[0];
        let tw = 0;
        for (let q = 1; q < p; q++) {
          tw += step;
          if (tw >= n) tw -= n;
          accRe += sRe[q] * twRe[tw] - sIm[q] * twIm[tw];
          accIm += sRe[q] * twIm[tw] + sIm[q] * twRe[tw];
        }
        re[start + k] = accRe;
        im[start + k] = accIm;
      }
    }
  }
}

/** An n-point FFT of real input (n even), giving the n/2 + 1 non-redundant bins. */
export class RealFft {
  readonly size: number;
  readonly bins: number;
  private readonly half: ComplexFft;
  private readonly zRe: Float64Array;
  private readonly zIm: Float64Array;
  private readonly splitRe: Float64Array;
  private readonly splitIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || size % 2 !== 0) throw new RangeError(`real FFT size must be even, got ${size}`);
    this.size = size;
    this.bins = size / 2 + 1;
    const h = size / 2;
    this.half = new ComplexFft(h);
    this.zRe = new Float64Array(h);
    this.zIm = new Float64Array(h);
    this.splitRe = new Float64Array(h + 1);
    this.splitIm = new Float64Array(h + 1);
    for (let k = 0; k <= h; k++) {
      const phase = (-2 * Math.PI * k) / size;
      this.splitRe[k] = Math.cos(phase);
      this.splitIm[k] = Math.sin(phase);
    }
  }

  /**
   * Forward transform of `input[offset .. offset + size)` into `outRe`/`outIm` (length ≥ size/2 + 1).
   * Even samples go to the real part and odd samples to the imaginary part of an n/2-point FFT Z; then
   * X[k] = E[k] + W^k·O[k] with E[k] = (Z[k] + conj Z[h−k]) / 2 and O[k] = (Z[k] − conj Z[h−k]) / 2i.
   */
  forward(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array, offset = 0): void {
    const h = this.size / 2;
    const zr = this.zRe;
    const zi = this.zIm;
    const perm = this.half.permutation;
    for (let i = 0; i < h; i++) {
      const j = offset + 2 * perm[i];
      zr[i] = input[j];
      zi[i] = input[j + 1];
    }
    this.half.butterflies(zr, zi);
    for (let k = 0; k <= h; k++) {
      const a = k === h ? 0 : k;
      const b = k === 0 ? 0 : h - k;
      const er = 0.5 * (zr[a] + zr[b]);
      const ei = 0.5 * (zi[a] - zi[b]);
      // (Z[k] − conj Z[h−k]) / 2i
      const or = 0.5 * (zi[a] + zi[b]);
      const oi = -0.5 * (zr[a] - zr[b]);
      const wr = this.splitRe[k];
      const wi = this.splitIm[k];
      outRe[k] = er + or * wr - oi * wi;
      outIm[k] = ei + or * wi + oi * wr;
    }
  }
}
