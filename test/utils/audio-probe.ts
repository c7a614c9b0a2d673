/**
 * Reads the sample rate a file declares in its own headers, the way a player would, so tests can check what the
 * server produced without trusting the server's code.
 */
const MP3_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };
const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return Buffer.from(bytes.subarray(offset, offset + length)).toString('latin1');
}

function indexOf(bytes: Uint8Array, text: string): number {
  return Buffer.from(bytes).indexOf(text, 0, 'latin1');
}

export function declaredSampleRate(format: string, bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case 'wav':
      if (ascii(bytes, 0, 4) !== 'RIFF' || ascii(bytes, 8, 4) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
      return view.getUint32(24, true);
    case 'flac':
      if (ascii(bytes, 0, 4) !== 'fLaC') throw new Error('not a FLAC file');
      return (bytes[18] << 12) | (bytes[19] << 4) | (bytes[20] >> 4);
    case 'mp3': {
      let offset = 0;
      if (ascii(bytes, 0, 3) === 'ID3') offset = 10 + ((bytes[6] << 21) | (bytes[7] << 14) | (bytes[8] << 7) | bytes[9]);
      while (offset + 4 < bytes.length && !(bytes[offset] === 0xff && (bytes[offset + 1] & 0xe0) === 0xe0)) offset++;
      const version = (bytes[offset + 1] >> 3) & 3;
      return MP3_RATES[version][(bytes[offset + 2] >> 2) & 3];
    }
    case 'aac':
      if (bytes[0] !== 0xff || (bytes[1] & 0xf6) !== 0xf0) throw new Error('not an ADTS stream');
      return ADTS_RATES[(bytes[2] >> 2) & 0xf];
    case 'opus': {
      if (ascii(bytes, 0, 4) !== 'OggS') throw new Error('not an Ogg file');
      const head = indexOf(bytes, 'OpusHead');
      if (head < 0) throw new Error('no OpusHead');
      return view.getUint32(head + 12, true);
    }
    default:
      throw new Error(`no header to read for ${format}`);
  }
}

/** The magic bytes a player checks first. */
export function hasMagic(format: string, bytes: Uint8Array): boolean {
  switch (format) {
    case 'mp3':
      return ascii(bytes, 0, 3) === 'ID3' || (bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0);
    case 'wav':
      return ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE';
    case 'flac':
      return ascii(bytes, 0, 4) === 'fLaC';
    case 'opus':
      return ascii(bytes, 0, 4) === 'OggS' && indexOf(bytes, 'OpusHead') >= 0;
    case 'aac':
      return bytes[0] === 0xff && (bytes[1] & 0xf6) === 0xf0;
    case 'pcm':
      return bytes.length % 2 === 0;
    default:
      return false;
  }
}
