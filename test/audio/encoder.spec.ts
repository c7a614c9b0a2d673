/**
 * Streaming encoders: each format is fed in uneven pushes (with pauses, as speech arrives), then decoded back with
 * the real decoder and compared with the input and with a one-shot encoding of the same audio.
 */
import { AudioDecoder } from '../../src/audio/decoder';
import { contentTypeFor, createEncoder, encodeAll, shutdownAacEncoder, type OutputFormat } from '../../src/audio/encoder';
import { s16leBytesToFloat } from '../../src/audio/pcm16';
import { ascii, concat, dominantFrequency, maxSecondDifference, rms, tone } from './helpers';

const RATE = 24000;
const SECONDS = 2;
const PUSHES = [4800, 1, 2399, 7000, 333, 12000, 480, 960, 5000];

let decoder: AudioDecoder;

beforeAll(() => {
  decoder = new AudioDecoder({ maxSeconds: 60, timeoutMs: 20_000, threads: 1 });
});

afterAll(async () => {
  await decoder.close();
  await shutdownAacEncoder();
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function decodeBack(format: OutputFormat, bytes: Uint8Array): Promise<Float32Array> {
  if (format === 'pcm') return s16leBytesToFloat(bytes);
  return (await decoder.decode(bytes, { sampleRate: RATE })).samples;
}

async function streamEncode(format: OutputFormat, input: Float32Array): Promise<{ bytes: Uint8Array; beforeFinish: number }> {
  const encoder = await createEncoder(format, RATE);
  expect(encoder.sampleRate).toBe(RATE);
  const chunks: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < input.length; i++) {
    const size = PUSHES[i % PUSHES.length];
    chunks.push(...encoder.encode(input.subarray(offset, offset + size)));
    offset += size;
    await pause(3);
  }
  // The aac encoder works in another thread: give it a moment to catch up (speech arrives in real time, far slower
  // than these pushes), collecting what it has produced by then. On a loaded machine that thread can be starved for
  // a while, so "caught up" means 200 ms without new output.
  for (let waited = 0, quiet = 0; format === 'aac' && waited < 5000 && quiet < 10; waited += 20) {
    await pause(20);
    const more = encoder.encode(new Float32Array(0));
    quiet = more.length ? 0 : quiet + 1;
    chunks.push(...more);
  }
  const beforeFinish = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  chunks.push(...encoder.finish());
  return { bytes: concat(chunks), beforeFinish };
}

function expectMagic(format: OutputFormat, bytes: Uint8Array): void {
  switch (format) {
    case 'mp3':
      expect(ascii(bytes, 0, 3) === 'ID3' || (bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0)).toBe(true);
      break;
    case 'wav':
      expect(ascii(bytes, 0, 4)).toBe('RIFF');
      expect(ascii(bytes, 8, 8)).toBe('WAVEfmt ');
      expect(ascii(bytes, 36, 4)).toBe('data');
      expect(Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(4)).toBe(0xffffffff);
      expect(Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(40)).toBe(0xffffffff);
      break;
    case 'flac':
      expect(ascii(bytes, 0, 4)).toBe('fLaC');
      break;
    case 'opus':
      expect(ascii(bytes, 0, 4)).toBe('OggS');
      expect(ascii(bytes, 28, 8)).toBe('OpusHead');
      break;
    case 'aac':
      expect(bytes[0]).toBe(0xff);
      expect([0xf1, 0xf9]).toContain(bytes[1]);
      break;
    case 'pcm':
      expect(bytes.byteLength).toBe(RATE * SECONDS * 2);
      break;
  }
}

describe('streaming encoders', () => {
  // Priming that the stream cannot signal: LAME's ~1100-sample delay (no Xing header while streaming) and AAC's
  // 1024-sample priming (ADTS has no field for it), plus padding to a whole frame at the end.
  const slack: Partial<Record<OutputFormat, number>> = { mp3: 0.1, aac: 0.12 };
  const lossless: OutputFormat[] = ['wav', 'pcm', 'flac'];

  it.each<OutputFormat>(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'])(
    '%s: streams, decodes back to the input, and joins are seamless',
    async (format) => {
      const input = tone(440, SECONDS, RATE, 0.5);
      const { bytes, beforeFinish } = await streamEncode(format, input);
      expectMagic(format, bytes);
      // Bytes came out while audio was still being pushed, not only at finish().
      expect(beforeFinish).toBeGreaterThan(bytes.byteLength * 0.8);

      const decoded = await decodeBack(format, bytes);
      const duration = decoded.length / RATE;
      expect(duration).toBeGreaterThanOrEqual(SECONDS - 0.05);
      expect(duration).toBeLessThanOrEqual(SECONDS + 0.05 + (slack[format] ?? 0));
      expect(Math.abs(dominantFrequency(decoded, RATE) - 440)).toBeLessThan(2);
      expect(rms(decoded, RATE * 0.2, RATE * 1.8)).toBeGreaterThan(0.3);

      if (lossless.includes(format)) {
        let maxError = 0;
        for (let i = 0; i < input.length; i++) maxError = Math.max(maxError, Math.abs(decoded[i] - input[i]));
        expect(maxError).toBeLessThan(1e-4);
      } else {
        // The codecs keep their state across pushes, so pushing in pieces decodes to what one push gives.
        const oneShot = await decodeBack(format, await encodeAll(format, { samples: input, sampleRate: RATE }));
        expect(decoded.length).toBe(oneShot.length);
        let maxDiff = 0;
        for (let i = 0; i < decoded.length; i++) maxDiff = Math.max(maxDiff, Math.abs(decoded[i] - oneShot[i]));
        expect(maxDiff).toBeLessThan(1e-3);
      }
      // No clicks or gaps anywhere in the steady part: a pure 440 Hz tone at 0.5 has a second difference of ≈0.0066.
      expect(maxSecondDifference(decoded, RATE * 0.15, decoded.length - RATE * 0.15)).toBeLessThan(0.03);
    },
  );

  it('an empty stream still yields a valid header where the format has one', async () => {
    for (const format of ['wav', 'flac', 'opus'] as const) {
      const encoder = await createEncoder(format, RATE);
      const bytes = concat(encoder.finish());
      expect(bytes.byteLength).toBeGreaterThan(0);
    }
  });

  it('resamples when the codec cannot take the rate (opus at 22050 → 24000, mp3 keeps 44100)', async () => {
    const opus = await createEncoder('opus', 22050);
    expect(opus.inputRate).toBe(22050);
    expect(opus.sampleRate).toBe(24000);
    const input = tone(440, 1, 22050);
    const bytes = concat([...opus.encode(input.subarray(0, 9999)), ...opus.encode(input.subarray(9999)), ...opus.finish()]);
    const pcm = await decoder.decode(bytes);
    expect(pcm.samples.length / 16000).toBeCloseTo(1, 1);
    expect(dominantFrequency(pcm.samples, 16000)).toBeCloseTo(440, -1);

    const mp3 = await createEncoder('mp3', 44100);
    expect(mp3.sampleRate).toBe(44100);
    mp3.close();
  });

  it('aac: closing without finishing frees the stream, and new streams still work', async () => {
    const abandoned = await createEncoder('aac', RATE);
    abandoned.encode(tone(440, 0.5, RATE));
    abandoned.close();
    expect(() => abandoned.encode(new Float32Array(10))).toThrow();
    const bytes = await encodeAll('aac', { samples: tone(440, 0.5, RATE), sampleRate: RATE });
    expect(bytes[0]).toBe(0xff);
  });

  it('maps formats to content types', () => {
    expect(contentTypeFor('mp3')).toBe('audio/mpeg');
    expect(contentTypeFor('opus')).toBe('audio/ogg');
    expect(contentTypeFor('aac')).toBe('audio/aac');
    expect(contentTypeFor('flac')).toBe('audio/flac');
    expect(contentTypeFor('wav')).toBe('audio/wav');
    expect(contentTypeFor('pcm')).toBe('audio/pcm');
  });
});
