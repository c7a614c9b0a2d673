/**
 * Audio layer benchmark: decode speed per input format and encode speed per output format, as multiples of real time.
 * Run with `npm run bench:audio` (or `node dist/scripts/bench-audio.js` after a build). Takes well under a minute.
 *
 * Inputs are a synthetic, speech-like 10 s clip (a voiced harmonic source with a wandering pitch and syllable-rate
 * envelope, plus noise bursts for consonants), encoded into each input format with FFmpeg-wasm in this process.
 */
import { AudioDecoder } from '../src/audio/decoder';
import { createEncoder, OUTPUT_FORMATS, shutdownAacEncoder } from '../src/audio/encoder';
import { loadFfmpegCore, runFfmpeg } from '../src/audio/ffmpeg-core';

const CLIP_SECONDS = 10;
const INPUT_RATE = 44100;
const SPEECH_RATE = 24000;
const RUNS = 3;

/** Speech-like test signal, interleaved `channels`. */
function speechLike(seconds: number, rate: number, channels: number): Float32Array {
  const frames = Math.round(seconds * rate);
  const out = new Float32Array(frames * channels);
  let phase = 0;
  let seed = 12345;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 31 - 1;
  };
  for (let i = 0; i < frames; i++) {
    const t = i / rate;
    const f0 = 140 + 40 * Math.sin(2 * Math.PI * 0.7 * t) + 15 * Math.sin(2 * Math.PI * 3.1 * t);
    phase += (2 * Math.PI * f0) / rate;
    let voiced = 0;
    for (let h = 1; h <= 12; h++) voiced += Math.sin(h * phase) / h;
    const syllable = Math.max(0, Math.sin(2 * Math.PI * 4 * t)); // ~4 syllables per second
    const consonant = (Math.floor(t * 4) % 3 === 0 ? 1 : 0) * (1 - syllable) * 0.3 * noise();
    const v = 0.25 * voiced * syllable + consonant;
    for (let c = 0; c < channels; c++) out[i * channels + c] = v * (c === 0 ? 1 : 0.8);
  }
  return out;
}

// prettier-ignore
const INPUTS: Array<{ name: string; args: string[] }> = [
  { name: 'wav (s16)', args: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  { name: 'flac', args: ['-c:a', 'flac', '-f', 'flac'] },
  { name: 'mp3 (128k)', args: ['-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3'] },
  { name: 'mp4/m4a (aac)', args: ['-c:a', 'aac', '-b:a', '128k', '-f', 'mp4'] },
  { name: 'ogg (vorbis)', args: ['-c:a', 'libvorbis', '-q:a', '4', '-f', 'ogg'] },
  // FFmpeg's native opus encoder: this @ffmpeg/core build's libopus crashes on stereo input.
  { name: 'ogg (opus)', args: ['-ar', '48000', '-c:a', 'opus', '-strict', '-2', '-b:a', '96k', '-f', 'ogg'] },
  { name: 'webm (opus)', args: ['-ar', '48000', '-c:a', 'opus', '-strict', '-2', '-b:a', '96k', '-f', 'webm'] },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
}

async function benchDecode(): Promise<void> {
  const core = await loadFfmpegCore();
  const pcm = speechLike(CLIP_SECONDS, INPUT_RATE, 2);
  const pcmBytes = new Uint8Array(pcm.buffer);
  const decoder = new AudioDecoder({ maxSeconds: 600, timeoutMs: 60_000, threads: 1 });
  try {
    let started = performance.now();
    const files = INPUTS.map(({ name, args }) => {
      const run = runFfmpeg(core, pcmBytes, ['-f', 'f32le', '-ar', String(INPUT_RATE), '-ac', '2'], args);
      if (run.exitCode !== 0) throw new Error(`could not make the ${name} input: ${run.log.slice(-3).join(' ')}`);
      return { name, bytes: run.output };
    });
    console.log(`inputs: ${CLIP_SECONDS} s speech-like, ${INPUT_RATE} Hz stereo (made in ${(performance.now() - started).toFixed(0)} ms)`);
    started = performance.now();
    await decoder.decode(files[0].bytes); // the pool is up and warm
    console.log(`decoder pool ready + first decode: ${(performance.now() - started).toFixed(0)} ms\n`);

    const widths = [16, 10, 12, 14];
    console.log(row(['decode → 16 kHz', 'size', 'median ms', '× real time'], widths));
    for (const { name, bytes } of files) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await decoder.decode(bytes);
        times.push(performance.now() - t);
      }
      const ms = median(times);
      console.log(row([name, `${(bytes.byteLength / 1024).toFixed(0)} KB`, ms.toFixed(1), ((CLIP_SECONDS * 1000) / ms).toFixed(0)], widths));
    }

    // Throughput with both threads busy (what a loaded server sees).
    const parallel = new AudioDecoder({ maxSeconds: 600, timeoutMs: 60_000, threads: 2 });
    try {
      const mp3 = files.find((f) => f.name.startsWith('mp3'))!.bytes;
      await Promise.all([parallel.decode(mp3), parallel.decode(mp3)]);
      const t = performance.now();
      await Promise.all(Array.from({ length: 8 }, () => parallel.decode(mp3)));
      const ms = performance.now() - t;
      console.log(`\n8 × mp3 on 2 threads: ${ms.toFixed(0)} ms → ${((8 * CLIP_SECONDS * 1000) / ms).toFixed(0)} × real time overall`);
    } finally {
      await parallel.close();
    }
  } finally {
    await decoder.close();
  }
}

async function benchEncode(): Promise<void> {
  const speech = speechLike(CLIP_SECONDS, SPEECH_RATE, 1);
  // Pushes of 100 ms, as speech would arrive from a synthesiser.
  const chunk = SPEECH_RATE / 10;
  const widths = [16, 10, 12, 14, 14];
  console.log(`\n${row(['encode 24 kHz', 'size', 'median ms', '× real time', 'create ms'], widths)}`);
  for (const format of OUTPUT_FORMATS) {
    const times: number[] = [];
    let size = 0;
    let createMs = 0;
    for (let i = 0; i <= RUNS; i++) {
      const t0 = performance.now();
      const encoder = await createEncoder(format, SPEECH_RATE);
      const t1 = performance.now();
      size = 0;
      for (let offset = 0; offset < speech.length; offset += chunk) {
        for (const bytes of encoder.encode(speech.subarray(offset, offset + chunk))) size += bytes.byteLength;
      }
      for (const bytes of encoder.finish()) size += bytes.byteLength;
      const t2 = performance.now();
      if (i === 0) createMs = t1 - t0; // first creation includes loading the engine
      else times.push(t2 - t1); // first run also warms up the JIT; not counted
      // Let the pool see the aac thread idle again (finish() returns before piscina hears the task ended);
      // otherwise back-to-back streams each get a fresh, cold thread.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ms = median(times);
    if (process.env.BENCH_VERBOSE) console.log(format, times.map((t) => t.toFixed(0)).join(' '));
    console.log(
      row([format, `${(size / 1024).toFixed(0)} KB`, ms.toFixed(1), ((CLIP_SECONDS * 1000) / ms).toFixed(0), createMs.toFixed(0)], widths),
    );
  }
  console.log('(aac: encoding happens in a worker thread; the time shown is until finish() returns the last frame)');
}

async function main(): Promise<void> {
  const started = performance.now();
  await benchDecode();
  await benchEncode();
  await shutdownAacEncoder();
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
