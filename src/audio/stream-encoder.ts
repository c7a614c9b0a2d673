/** The streaming-encoder contract shared by every output format (kept apart so implementations avoid cycles). */

/** OpenAI's `response_format` values for /v1/audio/speech. */
export type OutputFormat = 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';

/**
 * Encodes one mono stream as it is produced. Concatenating everything `encode` and `finish` return gives one valid
 * file/stream, decodable without gaps or clicks at push boundaries (codecs keep their state across pushes).
 */
export interface StreamEncoder {
  readonly format: OutputFormat;
  readonly contentType: string;
  /** Rate the samples passed to `encode` are in. */
  readonly inputRate: number;
  /** Rate of the encoded stream: inputRate, unless the codec cannot take it (then input is resampled). */
  readonly sampleRate: number;
  /** Pushes samples in [-1, 1]; returns the encoded bytes that are ready (possibly none). */
  encode(samples: Float32Array): Uint8Array[];
  /** Ends the stream: returns the remaining bytes and releases the encoder. */
  finish(): Uint8Array[];
  /** Releases the encoder without finishing (e.g. the client went away). Safe to call more than once. */
  close(): void;
}

const CONTENT_TYPES: Record<OutputFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** The Content-Type to answer with for each format (opus travels in Ogg, hence audio/ogg). */
export function contentTypeFor(format: OutputFormat): string {
  return CONTENT_TYPES[format];
}

/** Picks the rate a codec will encode at: the input rate if the codec takes it, else the next higher one it takes. */
export function nearestSupportedRate(rate: number, supported: readonly number[]): number {
  if (supported.includes(rate)) return rate;
  const sorted = [...supported].sort((a, b) => a - b);
  return sorted.find((r) => r >= rate) ?? sorted[sorted.length - 1];
}
