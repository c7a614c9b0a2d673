import type { Pcm } from '../../src/audio/pcm';
import { ffmpegEncode } from '../audio/helpers';
import { pcm16Wav } from './wav';

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
  return new Uint8Array(pcm16Wav(new Float32Array(Math.round(seconds * sampleRate)), sampleRate));
}
