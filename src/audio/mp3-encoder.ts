import { readFileSync } from 'node:fs';
import { floatToInt16 } from './pcm16';
import { contentTypeFor, type StreamEncoder } from './stream-encoder';

/** Rates MPEG audio layer III defines (MPEG-1, -2 and -2.5). */
export const MP3_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;

interface LameMp3Encoder {
  encodeBuffer(left: Int16Array): Int8Array;
  flush(): Int8Array;
}
interface Lame {
  Mp3Encoder: new (channels: number, sampleRate: number, kbps: number) => LameMp3Encoder;
}

let lame: Lame | undefined;

/**
 * @breezystack/lamejs's CommonJS entry is an IIFE that only assigns a script-level `var lamejs`, so `require` yields
 * nothing, and its ESM entry cannot be loaded from CommonJS under jest. Evaluating the IIFE source ourselves works
 * everywhere (Node, worker threads, jest's vm context).
 */
function loadLame(): Lame {
  if (!lame) {
    const source = readFileSync(require.resolve('@breezystack/lamejs'), 'utf8');
    lame = new Function(`${source}\nreturn lamejs;`)() as Lame;
  }
  return lame;
}

/** The bitrate we use: enough for speech at these rates, and valid for both MPEG-1 and MPEG-2 layer III. */
export function defaultMp3Kbps(sampleRate: number): number {
  return sampleRate >= 32000 ? 96 : 64;
}

/**
 * mp3 via lamejs (pure JS): stateful, so each push yields the frames completed so far and frames continue seamlessly
 * across pushes. `sampleRate` must be one of MP3_RATES. No Xing/LAME header is written (its sizes are unknown while
 * streaming), so decoders do not trim the encoder delay (~50 ms at 24 kHz) — as with most streamed mp3.
 */
export function createMp3Encoder(sampleRate: number, kbps = defaultMp3Kbps(sampleRate)): StreamEncoder {
  if (!(MP3_RATES as readonly number[]).includes(sampleRate)) throw new RangeError(`mp3 cannot encode at ${sampleRate} Hz`);
  let encoder: LameMp3Encoder | undefined = new (loadLame().Mp3Encoder)(1, sampleRate, kbps);
  let scratch = new Int16Array(0);
  const bytes = (chunk: Int8Array): Uint8Array[] =>
    chunk.length ? [new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)] : [];
  return {
    format: 'mp3',
    contentType: contentTypeFor('mp3'),
    inputRate: sampleRate,
    sampleRate,
    encode(samples) {
      if (!encoder) throw new Error('mp3 encoder is finished');
      if (!samples.length) return [];
      // Reuse one conversion buffer across pushes; lamejs copies what it needs.
      if (scratch.length < samples.length) scratch = new Int16Array(samples.length);
      const pcm = floatToInt16(samples, scratch).subarray(0, samples.length);
      return bytes(encoder.encodeBuffer(pcm));
    },
    finish() {
      if (!encoder) return [];
      const rest = bytes(encoder.flush());
      encoder = undefined;
      return rest;
    },
    close() {
      encoder = undefined;
    },
  };
}
