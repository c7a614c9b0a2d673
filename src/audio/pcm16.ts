/** Conversions between float samples in [-1, 1] and signed 16-bit PCM (what wav, pcm, mp3 and flac output use). */

/** Float → int16, clipped; writes into `out` when given (it must be at least as long). */
export function floatToInt16(samples: Float32Array, out: Int16Array = new Int16Array(samples.length)): Int16Array {
  const round = Math.round; // hoisted: global lookups in hot loops are slow in some hosts (vm contexts)
  for (let i = 0; i < samples.length; i++) {
    // Scale by 32767 (not 32768) so +1.0 and -1.0 both fit without a separate clip case; NaN becomes 0.
    const s = samples[i] * 32767;
    out[i] = s >= 32767 ? 32767 : s <= -32767 ? -32767 : round(s) || 0;
  }
  return out;
}

/** Float → little-endian s16 bytes, whatever the host's endianness. */
export function floatToS16leBytes(samples: Float32Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  const round = Math.round;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] * 32767;
    view.setInt16(i * 2, s >= 32767 ? 32767 : s <= -32767 ? -32767 : round(s) || 0, true);
  }
  return bytes;
}

/** Little-endian s16 bytes → float (an odd trailing byte is ignored). */
export function s16leBytesToFloat(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}
