/**
 * Input formats: the names OpenAI accepts, and detection of the actual container from the file's first bytes.
 *
 * The declared filename or content type is never trusted: FFmpeg is told which demuxer to use based on the bytes,
 * so a file that matches no known signature is rejected whatever it is called, and FFmpeg never probes its way
 * into an exotic demuxer.
 */

/** The file types OpenAI's transcription endpoints accept, in the order its error message lists them. */
export const SUPPORTED_INPUT_FORMATS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'] as const;
export type SupportedInputFormat = (typeof SUPPORTED_INPUT_FORMATS)[number];

/**
 * Containers recognised from bytes. `mp3` covers mp3/mpeg/mpga (MPEG audio), `mp4` covers mp4/m4a (ISO BMFF),
 * `ogg` covers ogg/oga (any codec), `webm` covers WebM and Matroska. `aac` (raw ADTS) is not in OpenAI's list but is
 * accepted because it is one of our own output formats and FFmpeg decodes it reliably.
 */
export type InputContainer = 'wav' | 'mp3' | 'flac' | 'ogg' | 'webm' | 'mp4' | 'aac';

/** Which FFmpeg demuxer reads each container. */
const DEMUXERS: Record<InputContainer, string> = {
  wav: 'wav',
  mp3: 'mp3',
  flac: 'flac',
  ogg: 'ogg',
  webm: 'matroska',
  mp4: 'mov',
  aac: 'aac',
};

export function demuxerFor(container: InputContainer): string {
  return DEMUXERS[container];
}

/** The container the bytes hold, or null when they match no supported format. */
export function detectInputFormat(bytes: Uint8Array): InputContainer | null {
  return detectAt(bytes, 0, 0);
}

/**
 * Names formats we recognise but do not accept (so the error can say "unsupported" rather than "invalid").
 * Returns null for anything else, including supported formats.
 */
export function identifyUnsupportedFormat(bytes: Uint8Array): string | null {
  if (ascii(bytes, 0, 'FORM') && (ascii(bytes, 8, 'AIFF') || ascii(bytes, 8, 'AIFC'))) return 'aiff';
  if (ascii(bytes, 0, 'caff')) return 'caf';
  if (ascii(bytes, 0, '#!AMR')) return 'amr';
  if (ascii(bytes, 0, 'MThd')) return 'midi';
  if (ascii(bytes, 0, '.snd')) return 'au';
  if (ascii(bytes, 0, 'wvpk')) return 'wavpack';
  if (ascii(bytes, 0, 'MAC ')) return 'ape';
  if (ascii(bytes, 0, 'FLV')) return 'flv';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'AVI ')) return 'avi';
  if (bytesAt(bytes, 0, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])) return 'wma';
  return null;
}

function detectAt(bytes: Uint8Array, offset: number, depth: number): InputContainer | null {
  if (ascii(bytes, offset, 'RIFF') || ascii(bytes, offset, 'RF64')) {
    return ascii(bytes, offset + 8, 'WAVE') ? 'wav' : null;
  }
  if (ascii(bytes, offset, 'fLaC')) return 'flac';
  if (ascii(bytes, offset, 'OggS')) return 'ogg';
  if (bytesAt(bytes, offset, [0x1a, 0x45, 0xdf, 0xa3])) return 'webm';
  if (isIsoBmff(bytes, offset)) return 'mp4';
  if (ascii(bytes, offset, 'ID3') && depth === 0) {
    // An ID3v2 tag may precede MPEG audio, ADTS or even FLAC: look behind it. The size is 4 × 7-bit "syncsafe".
    if (bytes.length < offset + 10) return null;
    const b = (i: number): number => bytes[offset + i] & 0x7f;
    const size = (b(6) << 21) | (b(7) << 14) | (b(8) << 7) | b(9);
    const footer = bytes[offset + 5] & 0x10 ? 10 : 0;
    const next = offset + 10 + size + footer;
    // A tag that runs past the data we hold is most likely an mp3 with big cover art; let FFmpeg judge it.
    if (next >= bytes.length) return 'mp3';
    // Otherwise: ID3 is an MP3 convention, so hand it to the MP3 demuxer, which resyncs past junk or fails cleanly.
    return detectAt(bytes, next, depth + 1) ?? 'mp3';
  }
  if (isAdtsFrame(bytes, offset)) return 'aac';
  if (isMpegAudioFrame(bytes, offset)) return 'mp3';
  return null;
}

function isIsoBmff(bytes: Uint8Array, offset: number): boolean {
  // ISO base media files start with a box: 4-byte size, then a type. `ftyp` is standard; old QuickTime files may
  // start with `moov`, `mdat`, `free`, `skip` or `wide` instead.
  for (const type of ['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide']) {
    if (ascii(bytes, offset + 4, type)) return true;
  }
  return false;
}

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

function adtsFrameLength(bytes: Uint8Array, at: number): number {
  if (at + 7 > bytes.length) return -1;
  // 12-bit sync, then layer bits 00 (MPEG audio uses 01–11 there, which is how the two are told apart).
  if (bytes[at] !== 0xff || (bytes[at + 1] & 0xf6) !== 0xf0) return 0;
  if (((bytes[at + 2] >> 2) & 0x0f) >= ADTS_RATES.length) return 0;
  const length = ((bytes[at + 3] & 0x03) << 11) | (bytes[at + 4] << 3) | (bytes[at + 5] >> 5);
  return length >= 7 ? length : 0;
}

function isAdtsFrame(bytes: Uint8Array, at: number): boolean {
  const length = adtsFrameLength(bytes, at);
  if (length <= 0) return false;
  // Garbage starts with 0xFFF now and then; a second frame header where the first frame ends settles it.
  const next = adtsFrameLength(bytes, at + length);
  return next !== 0;
}

// Bitrates in kbps by [version group][layer][index]; version group 0 = MPEG-1, 1 = MPEG-2/2.5.
const MPEG_BITRATES: number[][][] = [
  [
    [],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320], // layer III
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384], // layer II
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // layer I
  ],
  [
    [],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // layer III
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // layer II
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256], // layer I
  ],
];
const MPEG_RATES = [44100, 48000, 32000];

/** Length in bytes of the MPEG audio frame at `at`, 0 when there is no valid header, -1 when out of data. */
function mpegFrameLength(bytes: Uint8Array, at: number): number {
  if (at + 4 > bytes.length) return -1;
  const b1 = bytes[at + 1];
  const b2 = bytes[at + 2];
  if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return 0;
  const version = (b1 >> 3) & 0x03; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 = reserved
  const layer = (b1 >> 1) & 0x03; // 1 = III, 2 = II, 3 = I, 0 = reserved
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 0x03;
  if (version === 1 || layer === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return 0;
  const mpeg1 = version === 3;
  const bitrate = MPEG_BITRATES[mpeg1 ? 0 : 1][layer][bitrateIndex] * 1000;
  const rate = MPEG_RATES[rateIndex] / (version === 3 ? 1 : version === 2 ? 2 : 4);
  const padding = (b2 >> 1) & 0x01;
  if (layer === 3) return (Math.floor((12 * bitrate) / rate) + padding) * 4;
  const perFrame = layer === 1 && !mpeg1 ? 72 : 144;
  return Math.floor((perFrame * bitrate) / rate) + padding;
}

function isMpegAudioFrame(bytes: Uint8Array, at: number): boolean {
  const length = mpegFrameLength(bytes, at);
  if (length <= 0) return false;
  // As with ADTS: demand that the next frame also starts with a valid header, unless the data ends first.
  return mpegFrameLength(bytes, at + length) !== 0;
}

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function bytesAt(bytes: Uint8Array, at: number, expected: number[]): boolean {
  if (at + expected.length > bytes.length) return false;
  return expected.every((b, i) => bytes[at + i] === b);
}
