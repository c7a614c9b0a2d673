import { createResampler, resample } from '../../src/audio/resample';
import { dominantFrequency, rms, tone } from './helpers';

const PAIRS: Array<[number, number]> = [
  [22050, 24000],
  [24000, 16000],
  [44100, 16000],
  [48000, 16000],
  [16000, 24000],
  [8000, 16000],
  [44100, 44101], // a ratio too fine for exact phases: exercises the interpolated kernel
];

describe('resample', () => {
  it.each(PAIRS)('%i → %i keeps a sine’s frequency and amplitude, and the length ratio', (from, to) => {
    const input = tone(1000, 1, from, 0.5);
    const out = resample({ samples: input, sampleRate: from }, to);
    expect(out.sampleRate).toBe(to);
    expect(out.samples.length).toBe(Math.ceil((input.length * to) / from));
    expect(dominantFrequency(out.samples, to)).toBeCloseTo(1000, 0);
    // Away from the edges (where the input itself starts and stops), the amplitude is preserved.
    const edge = Math.ceil(to * 0.01);
    expect(rms(out.samples, edge, out.samples.length - edge)).toBeCloseTo(0.5 / Math.SQRT2, 3);
  });

  it('keeps the phase: output n lines up with input time n·from/to', () => {
    const out = resample({ samples: tone(440, 0.5, 22050), sampleRate: 22050 }, 24000);
    const expected = tone(440, 0.5, 24000);
    let maxError = 0;
    for (let i = 1000; i < 11000; i++) maxError = Math.max(maxError, Math.abs(out.samples[i] - expected[i]));
    expect(maxError).toBeLessThan(1e-3);
  });

  it.each([
    [48000, 16000, 10000],
    [44100, 16000, 9000],
    [24000, 16000, 8500],
  ])('%i → %i removes a %i Hz tone instead of aliasing it', (from, to, frequency) => {
    const out = resample({ samples: tone(frequency, 0.5, from, 0.5), sampleRate: from }, to);
    // ≥ 60 dB below the input level.
    expect(rms(out.samples, 200, out.samples.length - 200)).toBeLessThan((0.5 / Math.SQRT2) * 1e-3);
  });

  it('passes a 6 kHz tone through 48000 → 16000 (passband reaches 7.2 kHz)', () => {
    const out = resample({ samples: tone(6000, 0.5, 48000, 0.5), sampleRate: 48000 }, 16000);
    expect(rms(out.samples, 200, out.samples.length - 200)).toBeCloseTo(0.5 / Math.SQRT2, 2);
  });

  it('returns the input unchanged when the rate already matches', () => {
    const pcm = { samples: tone(440, 0.1, 16000), sampleRate: 16000 };
    expect(resample(pcm, 16000)).toBe(pcm);
  });

  it('rejects invalid rates', () => {
    expect(() => createResampler(0, 16000)).toThrow(RangeError);
    expect(() => createResampler(16000, 22050.5)).toThrow(RangeError);
  });
});

describe('createResampler (streaming)', () => {
  it.each(PAIRS)('%i → %i: odd chunk sizes give exactly the one-shot output', (from, to) => {
    const input = tone(523, 0.7, from, 0.6);
    const oneShot = resample({ samples: input, sampleRate: from }, to).samples;
    const resampler = createResampler(from, to);
    const pieces: Float32Array[] = [];
    const sizes = [1, 7, 0, 333, 2, 1021, 4096, 17];
    for (let offset = 0, i = 0; offset < input.length; i++) {
      const size = sizes[i % sizes.length];
      pieces.push(resampler.push(input.subarray(offset, offset + size)));
      offset += size;
    }
    pieces.push(resampler.flush());
    const streamed = Float32Array.from(pieces.flatMap((p) => Array.from(p)));
    expect(streamed.length).toBe(oneShot.length);
    expect(Buffer.from(streamed.buffer).equals(Buffer.from(oneShot.buffer))).toBe(true);
  });

  it('emits output while streaming (latency is the kernel half-width, not the stream)', () => {
    const resampler = createResampler(24000, 16000);
    const out = resampler.push(tone(440, 0.1, 24000));
    expect(out.length).toBeGreaterThan(1600 - 100);
  });

  it('can be reused after flush for a new stream', () => {
    const resampler = createResampler(22050, 16000);
    const input = tone(300, 0.2, 22050);
    const first = [resampler.push(input), resampler.flush()];
    const second = [resampler.push(input), resampler.flush()];
    expect(Buffer.from(second[0].buffer).equals(Buffer.from(first[0].buffer))).toBe(true);
    expect(Buffer.from(second[1].buffer).equals(Buffer.from(first[1].buffer))).toBe(true);
  });

  it('copies through at equal rates', () => {
    const resampler = createResampler(24000, 24000);
    const input = tone(440, 0.01, 24000);
    const out = resampler.push(input);
    expect(out).not.toBe(input);
    expect(Array.from(out)).toEqual(Array.from(input));
    expect(resampler.flush().length).toBe(0);
  });
});
