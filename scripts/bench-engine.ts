/**
 * Engine benchmark: what the HTTP server and its worker pool cost on top of onnxruntime itself. Run with
 * `npm run bench:engine` (or `node dist/scripts/bench-engine.js` after `tsc -p tsconfig.bench.json`). Takes about 40 s.
 *
 * One "request" is one run of the lab plugin's `lab-onnx` model (y = tanh(x · W), W 256 × 256) on `batch` rows,
 * with `batch` calibrated so a run takes about BENCH_RUN_MS in-process. In the same run it measures:
 * - direct: that run on an onnxruntime-node session in this thread, with the session options a server worker gets
 *   (one intra-op thread, built by the engine's own code), one after another; then W sessions at once, which shows
 *   what this machine gives W parallel runs right now (other processes share the cores);
 * - HTTP: the same run through a real listening server (POST /v1/audio/speech with `batch`), at concurrency 1,
 *   = workers and 2 × workers, W workers with one intra-op thread each; and a 1-row request, whose latency is the
 *   fixed cost of a request (HTTP, validation, queueing, worker messaging, encoding the reply).
 * Ratios: latency overhead at concurrency 1 = HTTP / direct (median, and p10: the least disturbed by other
 * processes); throughput vs ideal = HTTP requests/s ÷
 * (min(concurrency, W) × direct requests/s), i.e. against perfectly parallel workers with no server in the way;
 * and vs direct = HTTP requests/s ÷ direct requests/s at the same parallelism (1 session, or W at once). The workloads
 * take turns in short slices, so load from other processes on a shared machine falls on all of them alike.
 *
 * The load generator (fetch) runs in the server's process, as a co-located client would; its cost is in the figures.
 * Settings: BENCH_WORKERS (default 2), BENCH_RUN_MS (default 5), BENCH_PHASE_MS (default 6000).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortOptionsFor } from '../src/engine/devices';
import { sessionOptions } from '../src/engine/worker/sessions';
import { matmulModel, ONNX_WIDTH } from '../test/fixtures/plugins/lab/plugin';
import { FIXTURE_PLUGINS, startTestServer, waitUntilReady } from '../test/utils/test-server';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const TARGET_RUN_MS = Number(process.env.BENCH_RUN_MS ?? 5);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 6000);
const ROUNDS = 6;
const MODEL = 'lab-onnx';

interface Phase {
  label: string;
  concurrency: number;
  latencies: number[];
  elapsedMs: number;
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const perSecond = (phase: Phase): number => (phase.latencies.length * 1000) / phase.elapsedMs;

interface Workload {
  phase: Phase;
  /** `loop` is which of the `concurrency` loops asks (0-based). */
  request: (loop: number) => Promise<void>;
}

const workload = (label: string, concurrency: number, request: (loop: number) => Promise<void>): Workload => ({
  phase: { label, concurrency, latencies: [], elapsedMs: 0 },
  request,
});

/** Runs `concurrency` loops of the workload's request for `durationMs`, adding to its latencies and elapsed time. */
async function runSlice({ phase, request }: Workload, durationMs: number): Promise<void> {
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: phase.concurrency }, async (_, loop) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await request(loop);
        phase.latencies.push(performance.now() - t);
      }
    }),
  );
  phase.elapsedMs += performance.now() - started;
}

/**
 * Every workload gets PHASE_MS in all, in ROUNDS short slices taken in turn: on a machine shared with other work,
 * a burst of outside load then falls on all of them alike instead of on whichever ran at that moment.
 */
async function measureInterleaved(workloads: Workload[]): Promise<void> {
  for (const { phase, request } of workloads) {
    await Promise.all(Array.from({ length: phase.concurrency }, async (_, loop) => {
      for (let i = 0; i < 3; i++) await request(loop); // warm-up: JIT, worker model load, connection pool
    }));
  }
  for (let round = 0; round < ROUNDS; round++) for (const work of workloads) await runSlice(work, PHASE_MS / ROUNDS);
}

/** The session a CPU worker of this pool would open: same options, built by the engine's own code. */
async function directSession(): Promise<ort.InferenceSession> {
  const device = ortOptionsFor({ id: 'cpu:0', kind: 'cpu', index: 0 }, { providerOptions: {}, intraOpThreads: 1, graphOptimizationLevel: 'all' }, WORKERS);
  return ort.InferenceSession.create(matmulModel(), sessionOptions(device));
}

const input = (batch: number) => new ort.Tensor('float32', new Float32Array(batch * ONNX_WIDTH).fill(0.5), [batch, ONNX_WIDTH]);

/**
 * Rows per run so one run takes about TARGET_RUN_MS here (the work grows linearly with the rows). From the fastest of
 * a few runs: on a shared machine the slower ones measure the neighbours.
 */
async function calibrate(session: ort.InferenceSession): Promise<number> {
  const probeRows = 1024;
  const x = input(probeRows);
  for (let i = 0; i < 10; i++) await session.run({ x });
  let fastest = Infinity;
  for (let i = 0; i < 40; i++) {
    const t = performance.now();
    await session.run({ x });
    fastest = Math.min(fastest, performance.now() - t);
  }
  return Math.max(1, Math.round((TARGET_RUN_MS * probeRows) / fastest));
}

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`engine benchmark: ${MODEL} (y = tanh(x · W), W ${ONNX_WIDTH}×${ONNX_WIDTH}), ${WORKERS} CPU workers × 1 intra-op thread, ${os.availableParallelism()} cores, ${PHASE_MS / 1000} s per workload in ${ROUNDS} interleaved slices`);

  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-bench-engine-'));
  const server = await startTestServer({
    PLUGIN_DIRS: FIXTURE_PLUGINS,
    MODELS_DIR: modelsDir,
    PRELOAD_MODELS: MODEL,
    WORKERS_PER_DEVICE: String(WORKERS),
    ORT_INTRA_OP_THREADS: '1',
    MODEL_TTL_S: '-1',
    MAX_QUEUE: '1024',
  });
  const sessions = await Promise.all(Array.from({ length: WORKERS }, directSession));
  let phases: Phase[];
  try {
    await waitUntilReady(server.url);
    const batch = await calibrate(sessions[0]);
    console.log(`one request = one run on ${batch} rows (calibrated to ~${TARGET_RUN_MS} ms in-process)\n`);
    const speak = (rows: number) => async (): Promise<void> => {
      const body = JSON.stringify({ model: MODEL, voice: 'lab', input: 'x', response_format: 'pcm', batch: rows });
      const response = await fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`the server answered ${response.status}`);
    };
    const workloads = [
      // A fresh input per request, as the lab plugin makes one per request.
      workload('direct (in-process)', 1, async () => void (await sessions[0].run({ x: input(batch) }))),
      // One session per loop. onnxruntime-node runs each session.run on libuv's thread pool, so they run in parallel.
      workload('direct, W sessions', WORKERS, async (loop) => void (await sessions[loop].run({ x: input(batch) }))),
      ...[1, WORKERS, 2 * WORKERS].map((concurrency) => workload('HTTP server', concurrency, speak(batch))),
      // The fixed cost of a request (HTTP, validation, queueing, worker messaging, encoding), with next to no inference.
      workload('HTTP, 1 row', 1, speak(1)),
    ];
    await measureInterleaved(workloads);
    phases = workloads.map((work) => work.phase);
  } finally {
    await Promise.all(sessions.map((session) => session.release()));
    await server.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  }

  const [direct, directParallel, single, atWorkers, atDouble, empty] = phases;
  const widths = [20, 11, 9, 8, 10, 8, 8, 9, 9];
  console.log(row(['path', 'concurrency', 'requests', 'p10 ms', 'median ms', 'p90 ms', 'req/s', 'vs ideal', 'vs direct'], widths));
  const ideal = (concurrency: number) => Math.min(concurrency, WORKERS) * perSecond(direct);
  // The in-process figure at the same parallelism: what the server would get if it cost nothing.
  const sameParallelism = (concurrency: number) => (concurrency === 1 ? direct : directParallel);
  for (const phase of phases.slice(0, -1)) {
    console.log(
      row(
        [
          phase.label,
          String(phase.concurrency),
          String(phase.latencies.length),
          quantile(phase.latencies, 0.1).toFixed(2),
          quantile(phase.latencies, 0.5).toFixed(2),
          quantile(phase.latencies, 0.9).toFixed(2),
          perSecond(phase).toFixed(1),
          `${(perSecond(phase) / ideal(phase.concurrency)).toFixed(3)}×`,
          `${(perSecond(phase) / perSecond(sameParallelism(phase.concurrency))).toFixed(3)}×`,
        ],
        widths,
      ),
    );
  }
  const overhead = (q: number) => {
    const [ours, base] = [quantile(single.latencies, q), quantile(direct.latencies, q)];
    return `${(ours / base).toFixed(3)}× (${ours - base >= 0 ? '+' : ''}${(ours - base).toFixed(2)} ms)`;
  };
  console.log(`\nvs ideal = req/s ÷ (min(concurrency, ${WORKERS}) × direct single-thread ${perSecond(direct).toFixed(1)} req/s)`);
  console.log(`vs direct = req/s ÷ direct req/s at the same parallelism (concurrency 1: single session; more: ${WORKERS} sessions at once)\n`);
  // p10 is the least disturbed by other processes on a shared machine; the median is what a client sees.
  console.log(`latency overhead at concurrency 1, HTTP vs direct: median ${overhead(0.5)}, p10 ${overhead(0.1)}`);
  console.log(`throughput at concurrency ${WORKERS} (= workers): ${(perSecond(atWorkers) / (WORKERS * perSecond(direct))).toFixed(3)}× ideal (${WORKERS} × direct)`);
  console.log(`throughput at concurrency ${2 * WORKERS} (2 × workers): ${(perSecond(atDouble) / (WORKERS * perSecond(direct))).toFixed(3)}× ideal (${WORKERS} × direct)`);
  console.log(`this machine's parallel capacity right now: ${WORKERS} direct sessions give ${(perSecond(directParallel) / perSecond(direct)).toFixed(2)}× one session`);
  console.log(`fixed cost of one HTTP request (a 1-row run): median ${quantile(empty.latencies, 0.5).toFixed(2)} ms, ${perSecond(empty).toFixed(0)} req/s at concurrency 1`);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
