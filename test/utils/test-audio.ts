import type { Pcm } from '../../src/audio/pcm';
import { ffmpegEncode } from '../audio/helpers';

/** Every file format OpenAI accepts for uploads, by the extension a client would give it. */
export const INPUT_FORMATS = ['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'wav', 'webm'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** FFmpeg output arguments that make a file a client would upload under each extension. */
const FFMPEG_ARGS: Record<InputFormat, string[]> = {
  flac: ['-c:a', 'flac', '-f', 'flac'],
  mp3: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
  mpeg: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
  mpga: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
  mp4: ['-c:a', 'aac', '-b:a', '64k', '-f', 'mp4'],
  m4a: ['-c:a', 'aac', '-b:a', '64k', '-f', 'ipod'],
  ogg: ['-c:a', 'libvorbis', '-f', 'ogg'],
  wav: ['-c:a', 'pcm_s16le', '-f', 'wav'],
  webm: ['-c:a', 'libopus', '-b:a', '48k', '-f', 'webm'],
};

/** Test input made by the project itself (FFmpeg-wasm), never a committed binary. */
export function encodeTestInput(format: InputFormat, pcm: Pcm): Promise<Uint8Array> {
  return ffmpegEncode(pcm.samples, pcm.sampleRate, 1, FFMPEG_ARGS[format]);
}

/** A canonical 44-byte-header 16-bit mono PCM WAV of silence (Pollinations probe sample.wav: 0.1 s at 8 kHz), built byte by byte. */
export function silentWav(seconds: number, sampleRate: number): Uint8Array {
  const dataBytes = Math.round(seconds * sampleRate) * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'latin1');
  wav.write('fmt ', 12, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(dataBytes, 40);
  return new Uint8Array(wav);
}
