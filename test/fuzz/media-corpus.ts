/**
 * A generated corpus of hostile uploads: valid clips the project encodes itself (FFmpeg-wasm), then truncated,
 * bit-flipped, overwritten, spliced, or given lying headers (huge durations, zero or absurd sample rates, absurd
 * channel counts) — plus zero bytes and files that are not audio at all, under any name and declared type.
 */
import fc from 'fast-check';
import { tone } from '../utils/signal';
import { encodeTestInput } from '../utils/test-audio';

export const CLIP_FORMATS = ['wav', 'mp3', 'flac', 'ogg', 'webm', 'm4a'] as const;
export type ClipFormat = (typeof CLIP_FORMATS)[number];
export type Clips = Record<ClipFormat, Uint8Array>;

export interface Upload {
  label: string;
  bytes: Uint8Array;
  filename: string;
  contentType: string;
}

/** A tone (one second by default) in every container: the seeds every mutation starts from. */
export async function encodeClips(seconds = 1): Promise<Clips> {
  const pcm = { samples: tone(440, seconds, 16_000), sampleRate: 16_000 };
  const clips = {} as Clips;
  for (const format of CLIP_FORMATS) clips[format] = await encodeTestInput(format, pcm);
  return clips;
}

/** Values a lying header field takes: the edges parsers get wrong, plus anything at all. */
const LIES = fc.oneof(fc.constantFrom(0, 1, 2, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff), fc.nat());

interface Field {
  /** Where the field is, or -1 when this clip does not have it. */
  at(bytes: Uint8Array): number;
  width: 1 | 2 | 3 | 4 | 8;
  bigEndian: boolean;
}

const fixed = (offset: number, width: Field['width'], bigEndian = false): Field => ({ at: () => offset, width, bigEndian });
/** A field `offset` bytes after the first occurrence of `marker`. */
const after = (marker: string | number[], offset: number, width: Field['width'], bigEndian = true): Field => ({
  at: (bytes) => {
    const index = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(typeof marker === 'string' ? marker : Buffer.from(marker));
    return index < 0 ? -1 : index + offset;
  },
  width,
  bigEndian,
});

/** Header fields that state size, duration, rate or channels, per container. */
const HEADER_FIELDS: Record<ClipFormat, Field[]> = {
  // RIFF size, channels, sample rate, byte rate, block align, bits per sample, data size.
  wav: [fixed(4, 4), fixed(22, 2), fixed(24, 4), fixed(28, 4), fixed(32, 2), fixed(34, 2), after('data', 4, 4, false)],
  // STREAMINFO: block sizes, frame sizes, then rate / channels / bits / total samples packed into bytes 18–25.
  flac: [fixed(8, 2, true), fixed(10, 2, true), fixed(12, 3, true), fixed(18, 4, true), fixed(20, 1, true), fixed(21, 1, true), fixed(22, 4, true)],
  // Vorbis identification header: channels, sample rate, block sizes.
  ogg: [after('vorbis', 10, 1), after('vorbis', 11, 4, false), after('vorbis', 27, 1)],
  // Xing/Info frame count and byte count, ID3 size.
  mp3: [after('Xing', 8, 4), after('Info', 8, 4), after('Xing', 12, 4), after('Info', 12, 4), fixed(6, 4, true)],
  // EBML Duration, SamplingFrequency, Channels, TimecodeScale, an element size.
  webm: [after([0x44, 0x89], 3, 4), after([0xb5], 2, 4), after([0x9f], 2, 1), after([0x2a, 0xd7, 0xb1], 4, 4), fixed(4, 8, true)],
  // mdhd time scale and duration, sample table entry counts.
  m4a: [after('mdhd', 16, 4), after('mdhd', 20, 4), after('stsz', 12, 4), after('stco', 8, 4), after('stts', 8, 4), after('stsc', 8, 4)],
};

function writeField(bytes: Uint8Array, field: Field, value: number): void {
  const at = field.at(bytes);
  if (at < 0 || at + field.width > bytes.length) return;
  for (let i = 0; i < field.width; i++) {
    const shift = 8 * (field.bigEndian ? field.width - 1 - i : i);
    bytes[at + i] = shift >= 32 ? 0xff : (value >>> shift) & 0xff;
  }
}

/** Ogg pages carry a CRC: recompute the first pages' so a lying Vorbis header reaches the decoder, not the CRC check. */
export function fixOggCrcs(bytes: Uint8Array): void {
  let page = 0;
  for (let pages = 0; pages < 3 && page + 27 <= bytes.length && Buffer.from(bytes.subarray(page, page + 4)).toString('latin1') === 'OggS'; pages++) {
    const segments = bytes[page + 26];
    let length = 27 + segments;
    for (let i = 0; i < segments; i++) length += bytes[page + 27 + i] ?? 0;
    if (page + length > bytes.length) return;
    bytes.fill(0, page + 22, page + 26);
    const crc = oggCrc(bytes.subarray(page, page + length));
    for (let i = 0; i < 4; i++) bytes[page + 22 + i] = (crc >>> (8 * i)) & 0xff;
    page += length;
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let r = n << 24;
  for (let i = 0; i < 8; i++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  return crc;
}

/** Signatures of files that are not audio (or not audio we take), each followed by random bytes. */
const NOT_AUDIO: Array<[string, number[]]> = [
  ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['jpeg', [0xff, 0xd8, 0xff, 0xe0]],
  ['pdf', [...Buffer.from('%PDF-1.7\n')]],
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['elf', [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01]],
  ['gif', [...Buffer.from('GIF89a')]],
  ['aiff', [...Buffer.from('FORM\0\0\0\x20AIFF')]],
  ['avi', [...Buffer.from('RIFF\0\0\0\x20AVI ')]],
  ['midi', [...Buffer.from('MThd')]],
  ['html', [...Buffer.from('<!doctype html><html>')]],
  ['json', [...Buffer.from('{"not":"audio"}')]],
  ['gzip', [0x1f, 0x8b, 0x08]],
];

const clipFormat = fc.constantFrom(...CLIP_FORMATS);

type Mutation = (clips: Clips) => { label: string; bytes: Uint8Array };

const truncated: fc.Arbitrary<Mutation> = fc.tuple(clipFormat, fc.double({ min: 0, max: 1, noNaN: true })).map(([format, fraction]) => (clips) => ({
  label: `truncated ${format}`,
  bytes: clips[format].slice(0, Math.floor(clips[format].length * fraction)),
}));

/** Bit flips, half of them aimed at the first 512 bytes where the headers live. */
const bitFlipped: fc.Arbitrary<Mutation> = fc
  .tuple(clipFormat, fc.array(fc.oneof(fc.nat({ max: 4095 }), fc.nat()), { minLength: 1, maxLength: 24 }))
  .map(([format, bits]) => (clips) => {
    const bytes = clips[format].slice();
    for (const bit of bits) bytes[Math.floor(bit / 8) % bytes.length] ^= 1 << bit % 8;
    return { label: `bit-flipped ${format}`, bytes };
  });

const overwritten: fc.Arbitrary<Mutation> = fc
  .tuple(clipFormat, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 }))
  .map(([format, offset, patch]) => (clips) => {
    const bytes = clips[format].slice();
    bytes.set(patch.subarray(0, bytes.length), Math.min(offset % bytes.length, Math.max(0, bytes.length - patch.length)));
    return { label: `overwritten ${format}`, bytes };
  });

const lyingHeader: fc.Arbitrary<Mutation> = fc
  .tuple(clipFormat, fc.array(fc.tuple(fc.nat(), LIES), { minLength: 1, maxLength: 3 }))
  .map(([format, lies]) => (clips) => {
    const bytes = clips[format].slice();
    const fields = HEADER_FIELDS[format];
    for (const [index, value] of lies) writeField(bytes, fields[index % fields.length], value);
    if (format === 'ogg') fixOggCrcs(bytes);
    return { label: `lying header ${format}`, bytes };
  });

/** One container's head on another's body, or a clip with garbage appended. */
const spliced: fc.Arbitrary<Mutation> = fc
  .tuple(clipFormat, clipFormat, fc.nat({ max: 4096 }), fc.uint8Array({ maxLength: 256 }))
  .map(([head, body, cut, tail]) => (clips) => ({
    label: `spliced ${head}+${body}`,
    bytes: Buffer.concat([clips[head].subarray(0, cut), clips[body].subarray(cut), tail]),
  }));

const notAudio: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom(...NOT_AUDIO), fc.uint8Array({ maxLength: 2048 })).map(([[kind, magic], tail]) => () => ({ label: `not audio (${kind})`, bytes: Buffer.concat([Buffer.from(magic), tail]) })),
  fc.nat({ max: 4096 }).map((length) => () => ({ label: 'zero bytes', bytes: new Uint8Array(length) })),
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => () => ({ label: 'random bytes', bytes })),
  fc.string({ maxLength: 200 }).map((text) => () => ({ label: 'text', bytes: Buffer.from(text) })),
);

const FILENAMES = ['a.wav', 'a.mp3', 'a.flac', 'a.ogg', 'a.webm', 'a.m4a', 'a.txt', 'a.png', 'no-extension', '../../etc/passwd', 'a.wav.exe', 'ünïcødé.mp3', ''];
const CONTENT_TYPES = ['audio/wav', 'audio/mpeg', 'audio/flac', 'audio/ogg', 'audio/webm', 'application/octet-stream', 'image/png', 'text/plain', 'application/x-msdownload'];

/** Every upload, named and typed at random: the declared name and type must never decide anything. */
export function uploadArbitrary(clips: Clips): fc.Arbitrary<Upload> {
  return fc
    .tuple(
      fc.oneof({ weight: 2, arbitrary: truncated }, { weight: 3, arbitrary: bitFlipped }, { weight: 1, arbitrary: overwritten }, { weight: 3, arbitrary: lyingHeader }, { weight: 1, arbitrary: spliced }, { weight: 2, arbitrary: notAudio }),
      fc.constantFrom(...FILENAMES),
      fc.constantFrom(...CONTENT_TYPES),
    )
    .map(([mutate, filename, contentType]) => ({ ...mutate(clips), filename, contentType }));
}
