/**
 * Whisper's log-mel features: the FFT against a direct DFT, the mel filters against a plain re-implementation of
 * librosa's formula, the whole pipeline against a naive direct-DFT reference and against transformers.js's
 * WhisperFeatureExtractor (a dev dependency) as an independent oracle.
 */
// transformers.js runs onnxruntime-node inside the feature extractor; jest's realm needs this shim.
import '../../fixtures/onnx/cross-realm-typed-arrays';
import { WhisperFeatureExtractor } from '@huggingface/transformers';
import { ComplexFft, RealFft } from '../../../plugins/whisper/fft';
import {
  LogMelExtractor,
  WINDOW_FRAMES,
  WINDOW_SAMPLES,
  melFilterBank,
  numFramesOf,
  windowContentFrames,
} from '../../../plugins/whisper/log-mel';

/** Deterministic pseudo-random numbers in [-0.5, 0.5). */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/** Something speech-like enough: a gliding tone with vibrato, a second partial, and a little noise. */
function testSignal(seconds: number, seed = 1): Float32Array {
  const random = noise(seed);
  const out = new Float32Array(Math.round(seconds * 16000));
  for (let i = 0; i < out.length; i++) {
    const t = i / 16000;
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 1.3 * t);
    out[i] = envelope * (0.3 * Math.sin(2 * Math.PI * (220 * t + 40 * t * t)) + 0.1 * Math.sin(2 * Math.PI * 2900 * t)) + 0.02 * random();
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Bit-identical float arrays (jest's deep equality is far too slow for 240000 elements). */
function expectIdentical(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(true);
}

function maxOf(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  return max;
}

function directDft(re: ArrayLike<number>, im: ArrayLike<number>): { re: number[]; im: number[] } {
  const n = re.length;
  const out = { re: new Array<number>(n).fill(0), im: new Array<number>(n).fill(0) };
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const phase = (-2 * Math.PI * j * k) / n;
      out.re[k] += re[j] * Math.cos(phase) - im[j] * Math.sin(phase);
      out.im[k] += re[j] * Math.sin(phase) + im[j] * Math.cos(phase);
    }
  }
  return out;
}

/** librosa.filters.mel(sr=16000, n_fft=400, n_mels, htk=False, norm='slaney'), written out the way librosa does. */
function referenceFilters(nMels: number): number[][] {
  const fMin = 0;
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = (minLogHz - fMin) / fSp;
  const logStep = Math.log(6.4) / 27;
  const toMel = (f: number) => (f >= minLogHz ? minLogMel + Math.log(f / minLogHz) / logStep : (f - fMin) / fSp);
  const toHz = (m: number) => (m >= minLogMel ? minLogHz * Math.exp(logStep * (m - minLogMel)) : fMin + fSp * m);
  const melPoints = Array.from({ length: nMels + 2 }, (_, i) => toMel(0) + (i * (toMel(8000) - toMel(0))) / (nMels + 1));
  const melF = melPoints.map(toHz);
  const fftFreqs = Array.from({ length: 201 }, (_, k) => (k * 8000) / 200);
  const rows: number[][] = [];
  for (let i = 0; i < nMels; i++) {
    const fdiffLow = melF[i + 1] - melF[i];
    const fdiffHigh = melF[i + 2] - melF[i + 1];
    const enorm = 2 / (melF[i + 2] - melF[i]);
    rows.push(
      fftFreqs.map((f) => {
        const lower = -(melF[i] - f) / fdiffLow;
        const upper = (melF[i + 2] - f) / fdiffHigh;
        return Math.max(0, Math.min(lower, upper)) * enorm;
      }),
    );
  }
  return rows;
}

/** The whole A6 recipe with a direct DFT and dense filters: slow and obvious. */
function naiveFeatures(audio: Float32Array, nMels: number): Float32Array {
  const x = new Float64Array(WINDOW_SAMPLES);
  x.set(audio.subarray(0, WINDOW_SAMPLES));
  const at = (i: number) => (i < 0 ? x[-i] : i >= WINDOW_SAMPLES ? x[2 * (WINDOW_SAMPLES - 1) - i] : x[i]);
  const filters = referenceFilters(nMels);
  const cos: number[][] = [];
  const sin: number[][] = [];
  for (let k = 0; k <= 200; k++) {
    cos.push(Array.from({ length: 400 }, (_, n) => Math.cos((2 * Math.PI * k * n) / 400)));
    sin.push(Array.from({ length: 400 }, (_, n) => Math.sin((2 * Math.PI * k * n) / 400)));
  }
  const logMel = Array.from({ length: nMels }, () => new Float64Array(WINDOW_FRAMES));
  for (let t = 0; t < WINDOW_FRAMES; t++) {
    const frame = Array.from({ length: 400 }, (_, n) => at(t * 160 - 200 + n) * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / 400)));
    const silent = frame.every((v) => v === 0); // a zero frame has a zero spectrum; skipping it keeps the test quick
    const power = new Array<number>(201).fill(0);
    for (let k = 0; k <= 200 && !silent; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 400; n++) {
        re += frame[n] * cos[k][n];
        im -= frame[n] * sin[k][n];
      }
      power[k] = re * re + im * im;
    }
    for (let m = 0; m < nMels; m++) {
      const energy = filters[m].reduce((sum, w, k) => sum + w * power[k], 0);
      logMel[m][t] = Math.log10(Math.max(energy, 1e-10));
    }
  }
  const peak = maxOf(logMel.map(maxOf));
  const out = new Float32Array(nMels * WINDOW_FRAMES);
  logMel.forEach((row, m) => row.forEach((v, t) => (out[m * WINDOW_FRAMES + t] = (Math.max(v, peak - 8) + 4) / 4)));
  return out;
}

describe('FFT', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 12, 25, 49, 200, 400])('%i-point complex FFT equals the direct DFT', (n) => {
    const random = noise(n);
    const re = Float64Array.from({ length: n }, random);
    const im = Float64Array.from({ length: n }, random);
    const outRe = new Float64Array(n);
    const outIm = new Float64Array(n);
    new ComplexFft(n).forward(re, im, outRe, outIm);
    const expected = directDft(re, im);
    expect(maxAbsDiff(outRe, expected.re)).toBeLessThan(1e-9);
    expect(maxAbsDiff(outIm, expected.im)).toBeLessThan(1e-9);
  });

  it.each([2, 6, 10, 160, 400])('%i-point real FFT equals the first n/2+1 bins of the direct DFT', (n) => {
    const random = noise(n + 1);
    const x = Float64Array.from({ length: n + 7 }, random);
    const fft = new RealFft(n);
    const outRe = new Float64Array(fft.bins);
    const outIm = new Float64Array(fft.bins);
    fft.forward(x, outRe, outIm, 7); // also reads at an offset, as the STFT does
    const expected = directDft(x.subarray(7), new Float64Array(n));
    expect(maxAbsDiff(outRe, expected.re.slice(0, n / 2 + 1))).toBeLessThan(1e-9);
    expect(maxAbsDiff(outIm, expected.im.slice(0, n / 2 + 1))).toBeLessThan(1e-9);
  });

  it('refuses odd real sizes', () => {
    expect(() => new RealFft(401)).toThrow(RangeError);
  });

  it.each([40, 73, 150])('a Hann-windowed sine at bin %i puts its power in that bin', (bin) => {
    const hz = (bin * 16000) / 400;
    const frame = Float64Array.from({ length: 400 }, (_, n) => Math.sin((2 * Math.PI * hz * n) / 16000) * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / 400)));
    const fft = new RealFft(400);
    const re = new Float64Array(201);
    const im = new Float64Array(201);
    fft.forward(frame, re, im);
    const power = Array.from(re, (r, k) => r * r + im[k] * im[k]);
    const strongest = power.indexOf(Math.max(...power));
    expect(strongest).toBe(bin);
    // Amplitude 1 sine, Hann window: |X| = n/4 at the bin, n/8 at its neighbours, ~0 elsewhere.
    expect(Math.sqrt(power[bin])).toBeCloseTo(100, 6);
    expect(Math.sqrt(power[bin + 1])).toBeCloseTo(50, 6);
    expect(Math.sqrt(power[bin + 3])).toBeLessThan(1e-9);
  });
});

describe('mel filter bank', () => {
  it.each([80, 128])('%i filters equal librosa’s Slaney formula', (nMels) => {
    const ours = melFilterBank(nMels);
    const reference = referenceFilters(nMels);
    expect(ours.length).toBe(nMels * 201);
    expect(maxAbsDiff(ours, reference.flat())).toBeLessThan(1e-12);
  });

  it.each([80, 128])('%i filters are triangles, in order, area-normalized', (nMels) => {
    const filters = melFilterBank(nMels);
    let previousPeak = -1;
    for (let m = 0; m < nMels; m++) {
      const row = Array.from(filters.subarray(m * 201, (m + 1) * 201));
      expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
      const peak = row.indexOf(Math.max(...row));
      expect(peak).toBeGreaterThanOrEqual(previousPeak); // centers rise with the index
      previousPeak = peak;
      const support = row.map((w, k) => (w > 0 ? k : -1)).filter((k) => k >= 0);
      // One contiguous hump: rising to the peak, falling after it.
      expect(support[support.length - 1] - support[0] + 1).toBe(support.length);
      for (let k = support[0]; k < peak; k++) expect(row[k + 1]).toBeGreaterThanOrEqual(row[k]);
      for (let k = peak; k < support[support.length - 1]; k++) expect(row[k + 1]).toBeLessThanOrEqual(row[k]);
      // Slaney normalization: each triangle has unit area in Hz (bins are 40 Hz apart). Only wide triangles are
      // sampled finely enough for the Riemann sum to show it.
      if (support.length >= 12) expect(row.reduce((a, b) => a + b, 0) * 40).toBeCloseTo(1, 2);
    }
    expect(previousPeak).toBeGreaterThan(190); // the last filter peaks near 8 kHz
  });
});

describe('LogMelExtractor', () => {
  it('matches a naive direct-DFT implementation of the recipe', () => {
    const audio = testSignal(1.3, 7);
    const ours = new LogMelExtractor(80).compute(audio);
    expect(ours.length).toBe(80 * WINDOW_FRAMES);
    expect(maxAbsDiff(ours, naiveFeatures(audio, 80))).toBeLessThan(1e-5);
  });

  it.each([80, 128])('matches transformers.js WhisperFeatureExtractor (%i mels)', async (nMels) => {
    const oracle = new WhisperFeatureExtractor({
      feature_size: nMels, sampling_rate: 16000, hop_length: 160, chunk_length: 30, n_fft: 400,
      n_samples: 480000, nb_max_frames: 3000, padding_value: 0,
    });
    for (const audio of [testSignal(4.2, 3), testSignal(31, 4)]) {
      const { input_features } = (await oracle._call(audio)) as { input_features: { dims: number[]; data: Float32Array } };
      expect(input_features.dims).toEqual([1, nMels, 3000]);
      expect(maxAbsDiff(new LogMelExtractor(nMels).compute(audio), input_features.data)).toBeLessThan(1e-5);
    }
  });

  it('silence is the floor everywhere: (log10(1e-10) + 4) / 4', () => {
    const features = new LogMelExtractor(80).compute(new Float32Array(16000));
    expect(new Set(features)).toEqual(new Set([-1.5]));
    expect(new Set(new LogMelExtractor(128).compute(new Float32Array(0)))).toEqual(new Set([-1.5]));
  });

  it('a 1 kHz tone is loudest in the filter centred nearest 1 kHz, and padding frames sit 8 below the peak', () => {
    const tone = Float32Array.from({ length: 32000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const features = new LogMelExtractor(80).compute(tone);
    const frame = 100; // well inside the tone
    const column = Array.from({ length: 80 }, (_, m) => features[m * WINDOW_FRAMES + frame]);
    const loudest = column.indexOf(Math.max(...column));
    const filters = melFilterBank(80);
    const response = Array.from({ length: 80 }, (_, m) => filters[m * 201 + 25]); // 1000 Hz is bin 25
    expect(loudest).toBe(response.indexOf(Math.max(...response)));
    const max = maxOf(features);
    expect(features[40 * WINDOW_FRAMES + 2500]).toBeCloseTo(max - 2, 6); // (peak − 8 + 4)/4 = max − 2
  });

  it('truncates to 30 s and zero-pads shorter audio', () => {
    const extractor = new LogMelExtractor(80);
    const long = testSignal(33, 5);
    expectIdentical(extractor.compute(long), extractor.compute(long.slice(0, WINDOW_SAMPLES)));
    const short = testSignal(2, 6);
    const padded = new Float32Array(WINDOW_SAMPLES);
    padded.set(short);
    expectIdentical(extractor.compute(short), extractor.compute(padded));
  });

  it('a window at startSample is computed as if that slice were the clip', () => {
    const extractor = new LogMelExtractor(80);
    const audio = testSignal(45, 8);
    const start = 1234 * 160;
    expectIdentical(extractor.compute(audio, start), extractor.compute(audio.slice(start, start + WINDOW_SAMPLES)));
    const nearEnd = audio.length - 5 * 16000;
    expectIdentical(extractor.compute(audio, nearEnd), extractor.compute(audio.slice(nearEnd)));
    expect(new Set(extractor.compute(audio, audio.length + 10))).toEqual(new Set([-1.5]));
  });

  it('writes into a caller-provided output and leaves nothing behind between calls', () => {
    const extractor = new LogMelExtractor(80);
    const out = new Float32Array(extractor.outputLength);
    const loudFirst = extractor.compute(testSignal(30, 9), 0, out);
    expect(loudFirst).toBe(out);
    const quiet = testSignal(3, 10);
    expectIdentical(extractor.compute(quiet, 0, out), new LogMelExtractor(80).compute(quiet));
    expect(() => extractor.compute(quiet, 0, new Float32Array(10))).toThrow(RangeError);
    expect(() => extractor.compute(quiet, -1)).toThrow(RangeError);
  });

  it('counts frames of real audio', () => {
    expect(numFramesOf(0)).toBe(0);
    expect(numFramesOf(159)).toBe(0);
    expect(numFramesOf(160)).toBe(1);
    expect(numFramesOf(11 * 16000)).toBe(1100);
    expect(windowContentFrames(45 * 16000, 0)).toBe(3000);
    expect(windowContentFrames(45 * 16000, 30 * 16000)).toBe(1500);
    expect(windowContentFrames(45 * 16000, 46 * 16000)).toBe(0);
  });
});
