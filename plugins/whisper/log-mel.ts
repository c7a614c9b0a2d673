/**
 * Whisper's log-mel spectrogram, bit-for-bit the recipe of OpenAI Whisper / transformers.js
 * (`WhisperFeatureExtractor`): 16 kHz mono, one 30-s window zero-padded, periodic Hann 400, STFT hop 160 with
 * reflect padding, power spectrum, Slaney mel filters, log10, dynamic range clamped to 8 (i.e. 80 dB) below the
 * window's peak, then scaled by (x + 4) / 4.
 */
import { RealFft } from './fft';

// Module-local constants: tsc compiles exported ones to `exports.X` property loads, which hot loops should not pay.
const RATE = 16_000;
const FFT_LENGTH = 400;
const HOP = 160;
const SAMPLES_PER_WINDOW = 480_000;
const FRAMES_PER_WINDOW = 3_000;

export const SAMPLE_RATE = RATE;
export const N_FFT = FFT_LENGTH;
export const HOP_LENGTH = HOP;
/** Samples in one 30-s window. */
export const WINDOW_SAMPLES = SAMPLES_PER_WINDOW;
/** Mel frames in one window (the STFT's 3001st frame is dropped, as the references do). */
export const WINDOW_FRAMES = FRAMES_PER_WINDOW;

const N_BINS = FFT_LENGTH / 2 + 1;
const CENTER_PAD = FFT_LENGTH / 2;
const MEL_FLOOR = 1e-10;
const DYNAMIC_RANGE = 8;

/** Mel frames of real audio in `samples` samples: OpenAI's `content_frames` (⌊samples / 160⌋). */
export function numFramesOf(samples: number): number {
  return Math.max(0, Math.floor(samples / HOP));
}

/** Frames of real audio in the window that starts at `startSample` of a `totalSamples`-long signal (0..3000). */
export function windowContentFrames(totalSamples: number, startSample: number): number {
  return Math.min(FRAMES_PER_WINDOW, numFramesOf(totalSamples - startSample));
}

/** Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above. */
export function hertzToMelSlaney(hertz: number): number {
  if (hertz < 1000) return (3 * hertz) / 200;
  return 15 + Math.log(hertz / 1000) * (27 / Math.log(6.4));
}

export function melToHertzSlaney(mel: number): number {
  if (mel < 15) return (200 * mel) / 3;
  return 1000 * Math.exp((Math.log(6.4) / 27) * (mel - 15));
}

/**
 * The triangular filters `mel_filter_bank(201, nMels, 0, 8000, 16000, norm='slaney', mel_scale='slaney')`, as
 * [nMels × 201] row-major: peaks at mel-spaced frequencies, each row scaled to area 2 / (right − left) in Hz.
 */
export function melFilterBank(nMels: number, nBins = N_BINS, sampleRate = RATE, minHz = 0, maxHz = RATE / 2): Float64Array {
  const minMel = hertzToMelSlaney(minHz);
  const maxMel = hertzToMelSlaney(maxHz);
  const edges = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) edges[i] = melToHertzSlaney(minMel + ((maxMel - minMel) * i) / (nMels + 1));
  const filters = new Float64Array(nMels * nBins);
  for (let m = 0; m < nMels; m++) {
    const [left, center, right] = [edges[m], edges[m + 1], edges[m + 2]];
    const norm = 2 / (right - left);
    for (let k = 0; k < nBins; k++) {
      const hz = (k * (sampleRate / 2)) / (nBins - 1);
      const rising = (hz - left) / (center - left);
      const falling = (right - hz) / (right - center);
      filters[m * nBins + k] = Math.max(0, Math.min(rising, falling)) * norm;
    }
  }
  return filters;
}

/**
 * Computes features for 30-s windows. Tables (window, twiddles, filters) and work buffers are built once per
 * instance; `compute` allocates nothing when given an output array. Not safe to share between threads (workers
 * each make their own).
 */
export class LogMelExtractor {
  readonly nMels: number;
  private readonly fft = new RealFft(FFT_LENGTH);
  private readonly window = new Float64Array(FFT_LENGTH);
  /**
   * The filters' non-zero spans, packed: filter m weighs bins filterFirstBin[m].. with
   * filterWeights[filterStart[m] .. filterStart[m + 1]). The projection touches ~400 weights a frame, not 16000.
   */
  private readonly filterFirstBin: Int32Array;
  private readonly filterStart: Int32Array;
  private readonly filterWeights: Float64Array;
  /** The window's samples with the STFT's reflect padding on both sides. */
  private readonly padded = new Float64Array(SAMPLES_PER_WINDOW + 2 * CENTER_PAD);
  private readonly frame = new Float64Array(FFT_LENGTH);
  private readonly spectrumRe = new Float64Array(N_BINS);
  private readonly spectrumIm = new Float64Array(N_BINS);
  private readonly power = new Float64Array(N_BINS);

  constructor(nMels: 80 | 128 | number) {
    this.nMels = nMels;
    for (let n = 0; n < FFT_LENGTH; n++) this.window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / FFT_LENGTH); // periodic Hann
    const dense = melFilterBank(nMels);
    this.filterFirstBin = new Int32Array(nMels);
    this.filterStart = new Int32Array(nMels + 1);
    const spans: Float64Array[] = [];
    for (let m = 0; m < nMels; m++) {
      const row = dense.subarray(m * N_BINS, (m + 1) * N_BINS);
      let first = row.findIndex((w) => w > 0);
      if (first < 0) first = 0;
      let last = N_BINS - 1;
      while (last > first && row[last] === 0) last--;
      this.filterFirstBin[m] = first;
      spans.push(row.slice(first, last + 1));
      this.filterStart[m + 1] = this.filterStart[m] + last + 1 - first;
    }
    this.filterWeights = new Float64Array(this.filterStart[nMels]);
    spans.forEach((span, m) => this.filterWeights.set(span, this.filterStart[m]));
  }

  /** Output length for one window: nMels × 3000. */
  get outputLength(): number {
    return this.nMels * FRAMES_PER_WINDOW;
  }

  /**
   * Features of `audio[startSample, startSample + 480000)`, zero-padded past the end of the signal, exactly as if
   * that slice were the whole clip (reflect padding and the peak clamp are per window). Returns `out` (or a new
   * array), [nMels × 3000] mel-major, ready for an `[1, nMels, 3000]` tensor.
   */
  compute(audio: Float32Array, startSample = 0, out?: Float32Array): Float32Array {
    const result = out ?? new Float32Array(this.outputLength);
    if (result.length < this.outputLength) throw new RangeError(`output needs ${this.outputLength} floats, got ${result.length}`);
    if (!Number.isInteger(startSample) || startSample < 0) throw new RangeError(`startSample must be a non-negative integer, got ${startSample}`);
    this.fillPadded(audio, startSample);

    const { padded, frame, window, power, spectrumRe, spectrumIm, filterFirstBin, filterStart, filterWeights, nMels } = this;
    let peak = -Infinity;
    for (let t = 0; t < FRAMES_PER_WINDOW; t++) {
      const offset = t * HOP;
      for (let n = 0; n < FFT_LENGTH; n++) frame[n] = padded[offset + n] * window[n];
      this.fft.forward(frame, spectrumRe, spectrumIm);
      for (let k = 0; k < N_BINS; k++) power[k] = spectrumRe[k] * spectrumRe[k] + spectrumIm[k] * spectrumIm[k];
      for (let m = 0; m < nMels; m++) {
        let energy = 0;
        for (let w = filterStart[m], k = filterFirstBin[m]; w < filterStart[m + 1]; w++, k++) energy += filterWeights[w] * power[k];
        // Ternaries, not Math.max: builtin calls are slow in some embeddings (jest's vm contexts, 10x).
        const value = Math.log10(energy > MEL_FLOOR ? energy : MEL_FLOOR);
        result[m * FRAMES_PER_WINDOW + t] = value;
        if (value > peak) peak = value;
      }
    }
    const floor = peak - DYNAMIC_RANGE;
    for (let i = 0; i < this.outputLength; i++) {
      const value = result[i];
      result[i] = ((value > floor ? value : floor) + 4) / 4;
    }
    return result;
  }

  /** Copy the window into the middle of `padded`, zero-fill past the signal, then reflect 200 samples at each edge. */
  private fillPadded(audio: Float32Array, startSample: number): void {
    const padded = this.padded;
    const available = Math.max(0, Math.min(SAMPLES_PER_WINDOW, audio.length - startSample));
    for (let i = 0; i < available; i++) padded[CENTER_PAD + i] = audio[startSample + i];
    padded.fill(0, CENTER_PAD + available, CENTER_PAD + SAMPLES_PER_WINDOW);
    const lastInner = CENTER_PAD + SAMPLES_PER_WINDOW - 1;
    for (let k = 1; k <= CENTER_PAD; k++) {
      padded[CENTER_PAD - k] = padded[CENTER_PAD + k];
      padded[lastInner + k] = padded[lastInner - k];
    }
  }
}
