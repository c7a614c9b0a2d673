import { detectInputFormat, identifyUnsupportedFormat } from '../../src/audio/formats';
import { noiseBytes } from './helpers';

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

/** Two consecutive MPEG-1 layer III frames (128 kbps, 44.1 kHz: 417 bytes each). */
function mp3Frames(): Uint8Array {
  const frame = new Uint8Array(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  return Uint8Array.from([...frame, ...frame]);
}

/** Two ADTS frames of 20 bytes each. */
function adtsFrames(): Uint8Array {
  const frame = new Uint8Array(20);
  frame.set([0xff, 0xf1, 0x50, 0x80, 0x02, 0x9f, 0xfc]); // length 20 in bits 30..42
  return Uint8Array.from([...frame, ...frame]);
}

describe('detectInputFormat', () => {
  it.each([
    ['wav', bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ')],
    ['wav', bytes('RF64', [0xff, 0xff, 0xff, 0xff], 'WAVE')],
    ['flac', bytes('fLaC', [0, 0, 0, 34])],
    ['ogg', bytes('OggS', [0, 2])],
    ['webm', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f])],
    ['mp4', bytes([0, 0, 0, 0x20], 'ftypisom')],
    ['mp4', bytes([0, 0, 0, 0x1c], 'ftypM4A ')],
    ['mp3', bytes('ID3', [4, 0, 0, 0, 0, 0, 0])],
    ['mp3', mp3Frames()],
    ['aac', adtsFrames()],
  ])('recognises %s', (expected, input) => {
    expect(detectInputFormat(input)).toBe(expected);
  });

  it('looks behind an ID3 tag', () => {
    const tag = bytes('ID3', [4, 0, 0, 0, 0, 0, 4], [0, 0, 0, 0]);
    expect(detectInputFormat(Uint8Array.from([...tag, ...bytes('fLaC', [0, 0, 0, 34])]))).toBe('flac');
    expect(detectInputFormat(Uint8Array.from([...tag, ...adtsFrames()]))).toBe('aac');
  });

  it('rejects garbage, empty input, RIFF that is not WAVE, and a lone frame-sync lookalike', () => {
    expect(detectInputFormat(new Uint8Array(0))).toBeNull();
    expect(detectInputFormat(noiseBytes(4096, 7))).toBeNull();
    expect(detectInputFormat(bytes('RIFF', [0, 0, 0, 0], 'AVI LIST'))).toBeNull();
    expect(detectInputFormat(bytes('not audio at all, just text'))).toBeNull();
    const fakeSync = mp3Frames();
    fakeSync[417] = 0x00; // second frame header broken
    expect(detectInputFormat(fakeSync)).toBeNull();
  });
});

describe('identifyUnsupportedFormat', () => {
  it('names known formats we do not accept', () => {
    expect(identifyUnsupportedFormat(bytes('FORM', [0, 0, 0, 0], 'AIFF'))).toBe('aiff');
    expect(identifyUnsupportedFormat(bytes('caff', [0, 1]))).toBe('caf');
    expect(identifyUnsupportedFormat(bytes('#!AMR\n'))).toBe('amr');
    expect(identifyUnsupportedFormat(noiseBytes(64))).toBeNull();
  });
});
