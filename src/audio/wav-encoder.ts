import { floatToS16leBytes } from './pcm16';
import { contentTypeFor, type StreamEncoder } from './stream-encoder';

/** 0xFFFFFFFF in the RIFF and data sizes means "unknown length": what a streamed wav carries (OpenAI's does too). */
const UNKNOWN_SIZE = 0xffffffff;

/** A 44-byte canonical PCM wav header for a stream of unknown length (s16, little-endian). */
export function streamingWavHeader(sampleRate: number, channels = 1): Uint8Array {
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const text = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) header[at + i] = s.charCodeAt(i);
  };
  const blockAlign = channels * 2;
  text(0, 'RIFF');
  view.setUint32(4, UNKNOWN_SIZE, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true); // byte rate
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true); // bits per sample
  text(36, 'data');
  view.setUint32(40, UNKNOWN_SIZE, true);
  return header;
}

/** wav: the header goes out with the first push, then raw s16le samples; nothing to flush. */
export function createWavEncoder(sampleRate: number): StreamEncoder {
  let headerSent = false;
  const header = (): Uint8Array[] => {
    if (headerSent) return [];
    headerSent = true;
    return [streamingWavHeader(sampleRate)];
  };
  return {
    format: 'wav',
    contentType: contentTypeFor('wav'),
    inputRate: sampleRate,
    sampleRate,
    encode: (samples) => (samples.length ? [...header(), floatToS16leBytes(samples)] : header()),
    // An empty stream still gets its header, so the result is a valid (empty) wav.
    finish: () => header(),
    close: () => undefined,
  };
}

/** pcm: raw s16le at the given rate, no header (OpenAI's `pcm` is 24 kHz). */
export function createPcmEncoder(sampleRate: number): StreamEncoder {
  return {
    format: 'pcm',
    contentType: contentTypeFor('pcm'),
    inputRate: sampleRate,
    sampleRate,
    encode: (samples) => (samples.length ? [floatToS16leBytes(samples)] : []),
    finish: () => [],
    close: () => undefined,
  };
}
