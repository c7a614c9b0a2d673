/**
 * A small RIFF/WAVE reader for the reference clips an operator drops next to a model (`voices/<name>.wav`,
 * `default_voice.wav`): 8/16/24/32-bit integer PCM and 32/64-bit float, any channel count (mixed to mono).
 * Cloning from arbitrary client uploads goes through the server's FFmpeg decoder instead.
 */
import type { Pcm } from '../sdk';

export function readWav(bytes: Uint8Array): Pcm {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let format: { code: number; channels: number; rate: number; bits: number } | undefined;
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      let code = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID's first two bytes.
      if (code === 0xfffe && size >= 26) code = view.getUint16(body + 24, true);
      format = { code, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (!format) throw new Error('WAV data before its fmt chunk');
      return { samples: toMono(view, body, Math.min(size, bytes.length - body), format), sampleRate: format.rate };
    }
    offset = body + size + (size & 1);
  }
  throw new Error('WAV without a data chunk');
}

function toMono(view: DataView, start: number, length: number, format: { code: number; channels: number; bits: number }): Float32Array {
  const width = format.bits / 8;
  const frames = Math.floor(length / (width * format.channels));
  const read = sampleReader(view, format.code, format.bits);
  const out = new Float32Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < format.channels; channel++) sum += read(start + (frame * format.channels + channel) * width);
    out[frame] = sum / format.channels;
  }
  return out;
}

function sampleReader(view: DataView, code: number, bits: number): (offset: number) => number {
  if (code === 3 && bits === 32) return (o) => view.getFloat32(o, true);
  if (code === 3 && bits === 64) return (o) => view.getFloat64(o, true);
  if (code !== 1) throw new Error(`unsupported WAV format ${code}`);
  if (bits === 8) return (o) => (view.getUint8(o) - 128) / 128;
  if (bits === 16) return (o) => view.getInt16(o, true) / 32768;
  if (bits === 24) return (o) => ((view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) / 8388608);
  if (bits === 32) return (o) => view.getInt32(o, true) / 2147483648;
  throw new Error(`unsupported WAV sample size ${bits}`);
}
