import { AAC_RATES, createAacEncoder } from './aac-encoder';
import { createFlacEncoder, createOpusEncoder, OPUS_RATES } from './libav-encoder';
import { createMp3Encoder, MP3_RATES } from './mp3-encoder';
import type { Pcm } from './pcm';
import { withResampling } from './resampling-encoder';
import { nearestSupportedRate, type OutputFormat, type StreamEncoder } from './stream-encoder';
import { createPcmEncoder, createWavEncoder } from './wav-encoder';

export { configureAacEncoder, shutdownAacEncoder } from './aac-encoder';
export { contentTypeFor, type OutputFormat, type StreamEncoder } from './stream-encoder';

/**
 * Streaming encoders for every speech output format. Which engine does what, and why:
 *
 * | format | engine                                  | container       | where it runs                 |
 * |--------|-----------------------------------------|-----------------|-------------------------------|
 * | wav    | ours (header + s16le)                   | RIFF, size ∞    | caller's thread               |
 * | pcm    | ours (s16le)                            | none            | caller's thread               |
 * | mp3    | lamejs (pure JS LAME)                   | MPEG frames     | caller's thread               |
 * | opus   | libav.js libopus + Ogg muxer            | Ogg             | caller's thread (wasm, sync)  |
 * | flac   | libav.js flac + flac muxer              | native FLAC     | caller's thread (wasm, sync)  |
 * | aac    | FFmpeg-wasm native aac + ADTS muxer     | ADTS            | pool thread, one per stream   |
 *
 * All keep codec state across pushes, so bytes leave as audio arrives and concatenated output has no joins.
 * Rates a codec cannot take (e.g. opus at 22050) are resampled, with a streaming resampler, to the next one it can.
 */

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** Creates a streaming encoder for mono audio at `sampleRate` (OpenAI's speech output is 24 kHz). */
export async function createEncoder(format: OutputFormat, sampleRate = 24_000): Promise<StreamEncoder> {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`Invalid sample rate: ${sampleRate}`);
  switch (format) {
    case 'wav':
      return createWavEncoder(sampleRate);
    case 'pcm':
      return createPcmEncoder(sampleRate);
    case 'mp3':
      return withResampling(createMp3Encoder(nearestSupportedRate(sampleRate, MP3_RATES)), sampleRate);
    case 'opus':
      return withResampling(await createOpusEncoder(nearestSupportedRate(sampleRate, OPUS_RATES)), sampleRate);
    case 'flac':
      return createFlacEncoder(sampleRate);
    case 'aac':
      return withResampling(await createAacEncoder(nearestSupportedRate(sampleRate, AAC_RATES)), sampleRate);
    default:
      throw new RangeError(`Unknown output format: ${String(format)}`);
  }
}

/** Encodes a whole clip at its own rate into one buffer (tests, tools, non-streaming responses). */
export async function encodeAll(format: OutputFormat, pcm: Pcm): Promise<Uint8Array> {
  const encoder = await createEncoder(format, pcm.sampleRate);
  try {
    return concatBytes([...encoder.encode(pcm.samples), ...encoder.finish()]);
  } finally {
    encoder.close();
  }
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
