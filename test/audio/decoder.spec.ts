/**
 * AudioDecoder against real FFmpeg-wasm in real worker threads. Every input is synthesised, then encoded with
 * FFmpeg-wasm (in this process) or our own encoders.
 */
import { AudioDecoder } from '../../src/audio/decoder';
import { encodeAll } from '../../src/audio/encoder';
import { AudioDecodeTimeoutError, AudioDecoderBusyError, AudioInputError } from '../../src/audio/errors';
import { createWavEncoder } from '../../src/audio/wav-encoder';
import { concat, dominantFrequency, ffmpegEncode, noiseBytes, rms, tone } from './helpers';

interface Case {
  name: string;
  rate: number;
  channels: number;
  frequency: number;
  args: string[];
  /** Extra decoded length this format may legitimately carry (encoder priming that the stream cannot signal). */
  slack?: number;
}

const SECONDS = 1.5;

// prettier-ignore
const CASES: Case[] = [
  { name: 'wav s16 16 kHz mono', rate: 16000, channels: 1, frequency: 440, args: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  { name: 'wav float 44.1 kHz stereo', rate: 44100, channels: 2, frequency: 1000, args: ['-c:a', 'pcm_f32le', '-f', 'wav'] },
  { name: 'wav s24 48 kHz stereo', rate: 48000, channels: 2, frequency: 750, args: ['-c:a', 'pcm_s24le', '-f', 'wav'] },
  { name: 'wav u8 8 kHz mono', rate: 8000, channels: 1, frequency: 300, args: ['-c:a', 'pcm_u8', '-f', 'wav'] },
  { name: 'mp3 (ID3 + Xing) 44.1 kHz stereo', rate: 44100, channels: 2, frequency: 880, args: ['-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3'] },
  // "mpga": bare MPEG audio frames, no tag or Xing header, so nothing tells the decoder to trim the delay.
  { name: 'mpga (bare mp3 frames) 24 kHz mono', rate: 24000, channels: 1, frequency: 620, slack: 0.1,
    args: ['-c:a', 'libmp3lame', '-b:a', '64k', '-id3v2_version', '0', '-write_xing', '0', '-f', 'mp3'] },
  { name: 'mpeg (MPEG-1 layer II) 48 kHz stereo', rate: 48000, channels: 2, frequency: 1200, slack: 0.05, args: ['-c:a', 'mp2', '-b:a', '192k', '-f', 'mp2'] },
  { name: 'flac 48 kHz stereo', rate: 48000, channels: 2, frequency: 1500, args: ['-c:a', 'flac', '-f', 'flac'] },
  { name: 'mp4 (aac) 44.1 kHz stereo', rate: 44100, channels: 2, frequency: 660, args: ['-c:a', 'aac', '-b:a', '128k', '-f', 'mp4'] },
  { name: 'm4a (aac) 48 kHz mono', rate: 48000, channels: 1, frequency: 990, args: ['-c:a', 'aac', '-b:a', '96k', '-f', 'ipod'] },
  // FFmpeg's own opus encoder: this @ffmpeg/core build's libopus crashes on stereo (wasm stack overflow).
  { name: 'ogg (opus) 48 kHz stereo', rate: 48000, channels: 2, frequency: 500, args: ['-c:a', 'opus', '-strict', '-2', '-b:a', '96k', '-f', 'ogg'] },
  { name: 'ogg (opus, libopus) 24 kHz mono', rate: 24000, channels: 1, frequency: 450, args: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'] },
  { name: 'oga (vorbis) 44.1 kHz mono', rate: 44100, channels: 1, frequency: 1100, args: ['-c:a', 'libvorbis', '-q:a', '4', '-f', 'ogg'] },
  { name: 'webm (opus) 48 kHz mono', rate: 48000, channels: 1, frequency: 700, args: ['-c:a', 'libopus', '-b:a', '48k', '-f', 'webm'] },
  { name: 'aac (ADTS) 22.05 kHz mono', rate: 22050, channels: 1, frequency: 400, slack: 0.1, args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'] },
];

let decoder: AudioDecoder;

beforeAll(() => {
  decoder = new AudioDecoder({ maxSeconds: 60, timeoutMs: 20_000, threads: 2 });
});

afterAll(async () => {
  await decoder.close();
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<AudioInputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AudioInputError);
  expect((error as AudioInputError).code).toBe(code);
  expect((error as AudioInputError).param).toBe('file');
  return error as AudioInputError;
}

describe('AudioDecoder: every input format → 16 kHz mono', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // Stereo inputs get the tone at different levels per channel, so the downmix is exercised.
    const gains = c.channels === 2 ? [1, 0.5] : [1];
    const file = await ffmpegEncode(tone(c.frequency, SECONDS, c.rate, 0.5, gains), c.rate, c.channels, c.args);
    const pcm = await decoder.decode(file);
    expect(pcm.sampleRate).toBe(16000);
    expect(ArrayBuffer.isView(pcm.samples)).toBe(true);
    const duration = pcm.samples.length / 16000;
    expect(duration).toBeGreaterThanOrEqual(SECONDS - 0.05);
    expect(duration).toBeLessThanOrEqual(SECONDS + 0.05 + (c.slack ?? 0));
    expect(Math.abs(dominantFrequency(pcm.samples, 16000) - c.frequency)).toBeLessThan(c.frequency * 0.01);
    expect(rms(pcm.samples)).toBeGreaterThan(0.15);
  });

  it('decodes our own streamed wav (0xFFFFFFFF sizes) and resamples on request', async () => {
    const encoder = createWavEncoder(22050);
    const input = tone(440, 1, 22050);
    const file = concat([...encoder.encode(input.subarray(0, 10000)), ...encoder.encode(input.subarray(10000)), ...encoder.finish()]);
    const pcm = await decoder.decode(file, { sampleRate: 24000 });
    expect(pcm.sampleRate).toBe(24000);
    expect(Math.abs(pcm.samples.length - 24000)).toBeLessThanOrEqual(2);
    expect(dominantFrequency(pcm.samples, 24000)).toBeCloseTo(440, 0);
  });

  it('decides by bytes alone: a wav works whatever it was called, and the caller’s buffer stays usable', async () => {
    // The API takes no file name: whatever the upload claimed to be, the bytes decide.
    const file = await encodeAll('wav', { samples: tone(440, 0.5, 16000), sampleRate: 16000 });
    const pcm = await decoder.decode(file);
    expect(pcm.samples.length).toBe(8000);
    expect(file.byteLength).toBeGreaterThan(44); // not detached by the transfer to the worker
  });

  it('leaves a Node Buffer (what multer hands over) intact and decodable again', async () => {
    const file = await encodeAll('wav', { samples: tone(440, 0.5, 16000), sampleRate: 16000 });
    const upload = Buffer.from(file);
    expect((await decoder.decode(upload)).samples.length).toBe(8000);
    expect(upload.byteLength).toBe(file.byteLength); // not detached by the transfer to the worker
    expect(upload.equals(file)).toBe(true);
    expect((await decoder.decode(upload)).samples.length).toBe(8000);
  });

  it('decodes many files concurrently', async () => {
    const file = await encodeAll('flac', { samples: tone(440, 1, 24000), sampleRate: 24000 });
    const results = await Promise.all(Array.from({ length: 6 }, () => decoder.decode(file)));
    for (const pcm of results) expect(pcm.samples.length).toBe(16000);
  });
});

describe('AudioDecoder: bad input', () => {
  it('empty file → invalid_audio', async () => {
    const error = await expectCode(decoder.decode(new Uint8Array(0)), 'invalid_audio');
    expect(error.status).toBe(400);
  });

  it('garbage → invalid_audio, with OpenAI’s message listing the supported formats', async () => {
    const error = await expectCode(decoder.decode(noiseBytes(10_000)), 'invalid_audio');
    expect(error.message).toBe(
      "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
    );
  });

  it('text named .wav → invalid_audio (names never decide)', async () => {
    await expectCode(decoder.decode(Buffer.from('this is not a wav file, whatever its name says')), 'invalid_audio');
  });

  it('a valid signature followed by garbage → invalid_audio', async () => {
    const fake = concat([Buffer.from('RIFF\x24\x00\x00\x00WAVE'), noiseBytes(5000, 3)]);
    await expectCode(decoder.decode(fake), 'invalid_audio');
    await expectCode(decoder.decode(concat([Buffer.from('OggS'), noiseBytes(5000, 4)])), 'invalid_audio');
  });

  it('truncated files → invalid_audio', async () => {
    const mp4 = await ffmpegEncode(tone(440, 1, 44100), 44100, 1, ['-c:a', 'aac', '-f', 'mp4']);
    // The mp4 muxer writes its index (moov) last: without it there is nothing to decode.
    await expectCode(decoder.decode(mp4.subarray(0, Math.floor(mp4.length * 0.6))), 'invalid_audio');
    const wav = await encodeAll('wav', { samples: tone(440, 1, 16000), sampleRate: 16000 });
    await expectCode(decoder.decode(wav.subarray(0, 44)), 'invalid_audio'); // header only, no samples
    await expectCode(decoder.decode(wav.subarray(0, 20)), 'invalid_audio'); // cut inside the header
  });

  it('one thread survives many undecodable files in a row: each is invalid_audio, good files between them still decode', async () => {
    // FFmpeg-wasm leaks on every failed run; without a fresh instance after each failure the ~15th one trapped
    // ("memory access out of bounds"), and the request behind it got a 500.
    const single = new AudioDecoder({ maxSeconds: 60, timeoutMs: 20_000, threads: 1 });
    try {
      const good = await encodeAll('wav', { samples: tone(440, 0.5, 16000), sampleRate: 16000 });
      const bad = concat([good.subarray(0, 12), noiseBytes(3000, 7)]);
      for (let i = 0; i < 25; i++) {
        await expectCode(single.decode(bad), 'invalid_audio');
        expect((await single.decode(good)).samples.length).toBe(8000);
      }
    } finally {
      await single.close();
    }
  });

  it('a recognised but unsupported format → unsupported_format (415)', async () => {
    const aiff = await ffmpegEncode(tone(440, 0.5, 16000), 16000, 1, ['-c:a', 'pcm_s16be', '-f', 'aiff']);
    const error = await expectCode(decoder.decode(aiff), 'unsupported_format');
    expect(error.status).toBe(415);
    expect(error.message).toContain("'aiff'");
  });

  it('too short → audio_too_short', async () => {
    const file = await encodeAll('wav', { samples: tone(440, 0.05, 16000), sampleRate: 16000 });
    await expectCode(decoder.decode(file), 'audio_too_short');
  });
});

describe('AudioDecoder: limits', () => {
  it('rejects audio longer than maxSeconds, naming the limit; accepts audio within it', async () => {
    const short = new AudioDecoder({ maxSeconds: 2, timeoutMs: 20_000, threads: 1 });
    try {
      const long = await ffmpegEncode(tone(440, 3.5, 24000), 24000, 1, ['-c:a', 'libmp3lame', '-f', 'mp3']);
      const error = await expectCode(short.decode(long), 'audio_too_long');
      expect(error.message).toContain('2 seconds');
      const ok = await ffmpegEncode(tone(440, 1.9, 24000), 24000, 1, ['-c:a', 'libmp3lame', '-f', 'mp3']);
      expect((await short.decode(ok)).samples.length / 16000).toBeCloseTo(1.9, 1);
    } finally {
      await short.close();
    }
  });

  it('stops a decode that exceeds the timeout (terminating its thread) and keeps working afterwards', async () => {
    const single = new AudioDecoder({ maxSeconds: 3600, timeoutMs: 20_000, threads: 1 });
    try {
      const small = await encodeAll('wav', { samples: tone(440, 0.5, 16000), sampleRate: 16000 });
      await single.decode(small); // the thread is up and idle, so the slow task starts at once
      // Ten minutes of 8 kHz audio: far more than a 30 ms budget allows.
      const huge = await encodeAll('wav', { samples: tone(440, 600, 8000, 0.3), sampleRate: 8000 });
      const started = Date.now();
      const error = await single.decode(huge, { timeoutMs: 30 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AudioDecodeTimeoutError);
      expect((error as AudioDecodeTimeoutError).code).toBe('invalid_audio');
      expect((error as AudioDecodeTimeoutError).status).toBe(400);
      expect((error as Error).message).toMatch(/too long/);
      expect(Date.now() - started).toBeLessThan(2000);
      // The pool replaced the terminated thread.
      const pcm = await single.decode(small);
      expect(pcm.samples.length).toBe(8000);
    } finally {
      await single.close();
    }
  });

  it('bounds its queue: beyond threads + maxQueue a decode is refused at once as busy, and admitted again once one ends', async () => {
    const single = new AudioDecoder({ maxSeconds: 3600, timeoutMs: 60_000, threads: 1, maxQueue: 1 });
    try {
      const small = await encodeAll('wav', { samples: tone(440, 0.5, 16000), sampleRate: 16000 });
      const huge = await encodeAll('wav', { samples: tone(440, 600, 8000, 0.3), sampleRate: 8000 });
      const controller = new AbortController();
      const running = single.decode(huge, { signal: controller.signal }).catch((e: unknown) => e);
      const waiting = single.decode(small);
      await expect(single.decode(small)).rejects.toBeInstanceOf(AudioDecoderBusyError);
      controller.abort();
      expect(await running).toMatchObject({ name: 'AbortError' });
      expect((await waiting).samples.length).toBe(8000);
      expect((await single.decode(small)).samples.length).toBe(8000);
    } finally {
      await single.close();
    }
  });

  it('honours an AbortSignal', async () => {
    const file = await encodeAll('wav', { samples: tone(440, 0.5, 16000), sampleRate: 16000 });
    const aborted = AbortSignal.abort();
    await expect(decoder.decode(file, { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const huge = await encodeAll('wav', { samples: tone(440, 600, 8000, 0.3), sampleRate: 8000 });
    const pending = decoder.decode(huge, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect((await decoder.decode(file)).samples.length).toBe(8000);
  });
});
