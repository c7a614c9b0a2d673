/**
 * Load benchmark: the real server (dist/src/main.js in a child process) under twice the load it can hold, for a
 * while, with speech from the built-in voice (`tts-1`) and transcription (the test probe plugin stands in for a
 * speech-to-text model, so no weights are needed). Prints requests, 200s, 429/503s, other errors (must be 0),
 * latency percentiles and the server's RSS before, at peak and after; exits 1 if any request failed otherwise,
 * was lost or hung.
 *
 *   npm run bench:load                       # 60 s
 *   npm run bench:load -- --seconds 10       # shorter
 *   options: --seconds N, --workers N (inference workers), --queue N (MAX_QUEUE), --clients N (default 2 × capacity)
 *
 * Capacity is what the server admits at once: one request per inference worker plus MAX_QUEUE waiting. Each
 * virtual client sends one request at a time, back to back; after a 429/503 it waits RETRY_PAUSE_MS (a polite
 * client would honour Retry-After; this one keeps the pressure on).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeAll } from '../src/audio/encoder';
import { PROJECT_ROOT } from '../src/config/env.schema';

const RETRY_PAUSE_MS = 250;
/** A request still running this long after the run ended counts as hung. */
const HANG_MS = 120_000;
const SPEECH_TEXT = 'The quick brown fox jumps over the lazy dog, and the server keeps up.';
const CLIP_SECONDS = 5;

interface Options {
  seconds: number;
  workers: number;
  queue: number;
  clients?: number;
}

function parseOptions(argv: string[]): Options {
  // Workers default to what the server itself picks for one CPU device (half the cores).
  const options: Options = { seconds: 60, workers: Math.max(1, Math.floor(os.availableParallelism() / 2)), queue: 8 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    const value = Number(argv[++i]);
    if (!['seconds', 'workers', 'queue', 'clients'].includes(name) || !Number.isFinite(value) || value <= 0) {
      throw new Error(`unknown option or bad value: ${argv[i - 1]} ${argv[i] ?? ''} (options: --seconds, --workers, --queue, --clients)`);
    }
    (options as unknown as Record<string, number>)[name] = Math.floor(value);
  }
  return options;
}

type Kind = 'speech' | 'transcription';

interface Sample {
  kind: Kind;
  status: number | 'error' | 'hung';
  ms: number;
}

/** Resident memory of a process, from /proc (Linux) or ps. */
function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) * 1024;
}

async function startServer(options: Options, modelsDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      NO_COLOR: '1',
      MODELS_DIR: modelsDir,
      PLUGIN_DIRS: `dist/plugins,${path.join(PROJECT_ROOT, 'dist', 'test', 'fixtures', 'plugins')}`,
      PRELOAD_MODELS: 'tts-1,whisper-1',
      WORKERS_PER_DEVICE: String(options.workers),
      MAX_QUEUE: String(options.queue),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // The server's log is kept (not shown): /readyz answers 503 while models load, which the server logs as errors.
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      const match = /Listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}):\n${output}`)));
  });
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then((response) => response.status === 200, () => false);
    if (ready) return { child, url };
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function speechRequest(url: string): Promise<Response> {
  return fetch(`${url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: SPEECH_TEXT, response_format: 'mp3' }),
    signal: AbortSignal.timeout(HANG_MS),
  });
}

function transcriptionRequest(url: string, clip: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.append('model', 'whisper-1');
  form.append('file', new Blob([clip]), 'clip.wav');
  return fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form, signal: AbortSignal.timeout(HANG_MS) });
}

async function timed(kind: Kind, send: () => Promise<Response>): Promise<Sample> {
  const started = performance.now();
  try {
    const response = await send();
    await response.arrayBuffer();
    return { kind, status: response.status, ms: performance.now() - started };
  } catch (error) {
    const hung = (error as Error).name === 'TimeoutError';
    return { kind, status: hung ? 'hung' : 'error', ms: performance.now() - started };
  }
}

function percentile(sorted: number[], p: number): string {
  if (sorted.length === 0) return '-';
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(0);
}

function report(label: string, samples: Sample[]): string[] {
  const ok = samples.filter((sample) => sample.status === 200);
  const refused = samples.filter((sample) => sample.status === 429 || sample.status === 503);
  const other = samples.length - ok.length - refused.length;
  const latencies = ok.map((sample) => sample.ms).sort((a, b) => a - b);
  return [label, String(samples.length), String(ok.length), String(refused.length), String(other), percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')).join('\n');
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const capacity = options.workers + options.queue;
  const clients = options.clients ?? 2 * capacity;
  const clipPcm = new Float32Array(CLIP_SECONDS * 16_000).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16_000));
  const clip = await encodeAll('wav', { samples: clipPcm, sampleRate: 16_000 });
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-bench-load-'));
  const { child, url } = await startServer(options, modelsDir);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const rssBefore = rssBytes(child.pid!);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(child.pid!))), 250);
    console.log(
      `bench:load: ${options.seconds} s, ${clients} clients (2 × capacity ${capacity}: ${options.workers} inference worker(s) + queue ${options.queue}), ` +
        `half speech (tts-1, mp3), half transcription (probe, ${CLIP_SECONDS} s wav); ${os.availableParallelism()} CPU(s)`,
    );
    const samples: Sample[] = [];
    let started = 0;
    const deadline = Date.now() + options.seconds * 1000;
    const client = async (index: number): Promise<void> => {
      const kind: Kind = index % 2 === 0 ? 'speech' : 'transcription';
      while (Date.now() < deadline) {
        started++;
        const sample = await timed(kind, () => (kind === 'speech' ? speechRequest(url) : transcriptionRequest(url, clip)));
        samples.push(sample);
        if (sample.status === 429 || sample.status === 503) await sleep(RETRY_PAUSE_MS);
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
    clearInterval(sampler);
    const rssAfter = rssBytes(child.pid!);

    const lost = started - samples.length;
    const hung = samples.filter((sample) => sample.status === 'hung').length;
    const rows = [['kind', 'requests', '200', '429/503', 'other', 'p50 ms', 'p95 ms', 'p99 ms']];
    rows.push(report('speech (tts-1)', samples.filter((sample) => sample.kind === 'speech')));
    rows.push(report('transcription', samples.filter((sample) => sample.kind === 'transcription')));
    rows.push(report('all', samples));
    console.log(table(rows));
    const otherStatuses = [...new Set(samples.filter((sample) => ![200, 429, 503].includes(sample.status as number)).map((sample) => String(sample.status)))];
    console.log(`other statuses: ${otherStatuses.join(', ') || 'none'}; lost: ${lost}; hung: ${hung}`);
    console.log(`server RSS: before ${mb(rssBefore)}, peak ${mb(rssPeak)}, after ${mb(rssAfter)}`);
    if (otherStatuses.length > 0 || lost > 0 || hung > 0) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(modelsDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
