/**
 * One device's workers: a piscina pool plus the admission control in front of it. Work is handed to piscina only
 * when a worker is free, so this class owns the queue: it is bounded (MAX_QUEUE, beyond it the caller is told
 * when to retry), a queued job whose client leaves never starts, and every job ends within its time budget.
 *
 * A running job is cancelled cooperatively (an `abort` on its port fires the plugin's AbortSignal); a worker that
 * ignores it past ABORT_GRACE_MS, hangs, or dies is terminated, piscina starts a replacement, and only that job fails.
 */
import { Piscina } from 'piscina';
import { MessageChannel, type Transferable } from 'node:worker_threads';
import * as path from 'node:path';
import { CancelledError, PluginInputError, type DeviceInfo } from '../../plugins/sdk';
import { OverloadedError, RequestTimeoutError, ShuttingDownError, WorkerFailedError } from './engine.errors';
import {
  isWorkerEvent,
  type ModelRef,
  type PortMessage,
  type SerializedError,
  type StreamMessage,
  type TaskOutcome,
  type TaskValue,
  type WorkerConfig,
  type WorkerEvent,
  type WorkerTask,
} from './worker/protocol';

/** How long a cancelled or timed-out job may take to notice before its worker is terminated. */
export const ABORT_GRACE_MS = 2_000;

export interface PoolObserver {
  queueDepth?(depth: number): void;
  queueWait?(ms: number): void;
  inFlight?(count: number): void;
  serviceTime?(ms: number): void;
  workerRestarted?(): void;
  event?(event: WorkerEvent): void;
}

export interface PoolOptions {
  workers: number;
  maxQueue: number;
  worker: WorkerConfig;
  observer?: PoolObserver;
}

type TaskInput = WorkerTask extends infer T ? (T extends { port: unknown } ? Omit<T, 'port'> : T) : never;

export interface RunOptions {
  signal?: AbortSignal;
  /** From submission (queue wait included) to the end of the job. */
  timeoutMs: number;
  onStream?(message: StreamMessage): void;
  /** Buffers to move (not copy) into the worker, e.g. the audio of a transcription. */
  transferList?: Transferable[];
}

interface Job {
  task: TaskInput;
  options: RunOptions;
  submitted: number;
  resolve(value: TaskValue): void;
  reject(error: unknown): void;
  /** Set once the job has an answer (possibly before its worker is free again). */
  settled: boolean;
  cleanup: Array<() => void>;
  /** Set while running: asks the worker to stop, and terminates it if it does not. */
  abortRunning?(): void;
}

const WORKER_FILE = path.join(__dirname, 'worker', 'inference.worker.js');
/** Until a job has finished, Retry-After assumes this much work per job. */
const INITIAL_SERVICE_MS = 1_000;

export class DevicePool {
  readonly device: DeviceInfo;
  readonly workers: number;
  private readonly maxQueue: number;
  private readonly piscina: Piscina<WorkerTask, TaskOutcome<TaskValue>>;
  private readonly observer: PoolObserver;
  private readonly queue: Job[] = [];
  private running = 0;
  private closing = false;
  private serviceMs = INITIAL_SERVICE_MS;
  private workersCreated = 0;
  /** model id → threads of this pool that hold it. */
  private readonly loaded = new Map<string, Set<number>>();
  private idleWaiters: Array<() => void> = [];

  constructor(options: PoolOptions) {
    this.device = options.worker.device;
    this.workers = options.workers;
    this.maxQueue = options.maxQueue;
    this.observer = options.observer ?? {};
    this.piscina = new Piscina({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      // Models live in the workers: an idle worker must not be reaped with them.
      idleTimeout: Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: 1,
      // piscina's default parks idle workers in a blocking Atomics.wait, which would freeze their event loop and
      // with it the timers that unload idle models.
      atomics: 'disabled',
      workerData: options.worker,
    });
    this.piscina.on('workerCreate', () => {
      if (++this.workersCreated > this.workers) this.observer.workerRestarted?.();
    });
    this.piscina.on('workerDestroy', () => this.forgetDeadThreads());
    this.piscina.on('message', (message: unknown) => {
      if (isWorkerEvent(message)) this.onWorkerEvent(message);
    });
    // Errors of tasks reach their callers; a pool-level error (a worker failing outside a task) is only logged.
    this.piscina.on('error', (error: Error) => this.observer.event?.({ type: 'log', threadId: -1, level: 'error', message: `Worker error: ${error.message}` }));
  }

  /** Running plus queued work per worker: what routing compares between devices. */
  load(): number {
    return (this.running + this.queue.length) / this.workers;
  }

  /** How many workers hold the model now. */
  loadedCount(model: string): number {
    return this.loaded.get(model)?.size ?? 0;
  }

  loadedModels(): Map<string, number> {
    return new Map([...this.loaded].map(([model, threads]) => [model, threads.size]));
  }

  stats() {
    return { device: this.device.id, workers: this.workers, running: this.running, queued: this.queue.length };
  }

  /** Loads a model into every worker of the pool (PRELOAD_MODELS); pinned models never idle out. */
  async preload(ref: ModelRef, timeoutMs: number): Promise<void> {
    // With one task per worker and all workers idle, piscina gives each worker one of these.
    await Promise.all(Array.from({ length: this.workers }, () => this.run({ kind: 'load', ref, pin: true }, { timeoutMs })));
  }

  run(task: TaskInput, options: RunOptions): Promise<TaskValue> {
    if (this.closing) return Promise.reject(new ShuttingDownError());
    if (options.signal?.aborted) return Promise.reject(new CancelledError());
    if (this.running >= this.workers && this.queue.length >= this.maxQueue) {
      const model = task.ref.model.id;
      return Promise.reject(new OverloadedError(this.device.id, this.retryAfterSeconds(), this.loadedCount(model) === 0 ? model : undefined));
    }
    return new Promise<TaskValue>((resolve, reject) => {
      const job: Job = { task, options, submitted: Date.now(), resolve, reject, settled: false, cleanup: [] };
      const timer = setTimeout(() => this.timeOut(job), options.timeoutMs);
      job.cleanup.push(() => clearTimeout(timer));
      if (options.signal) {
        const onAbort = () => this.cancel(job);
        options.signal.addEventListener('abort', onAbort, { once: true });
        job.cleanup.push(() => options.signal!.removeEventListener('abort', onAbort));
      }
      if (this.running < this.workers) this.start(job);
      else {
        this.queue.push(job);
        this.observer.queueDepth?.(this.queue.length);
      }
    });
  }

  /** Stops taking work, waits up to `graceMs` for running and queued jobs, then ends the workers. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.running + this.queue.length > 0) {
      await Promise.race([new Promise<void>((resolve) => this.idleWaiters.push(resolve)), sleep(graceMs)]);
    }
    for (const job of this.queue.splice(0)) this.settle(job, new ShuttingDownError());
    await this.piscina.destroy();
  }

  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.serviceMs * (this.queue.length + 1)) / this.workers / 1000));
  }

  private start(job: Job): void {
    this.running++;
    this.observer.inFlight?.(this.running);
    this.observer.queueWait?.(Date.now() - job.submitted);
    const channel = new MessageChannel();
    const kill = new AbortController();
    const started = Date.now();
    let streamEnded!: () => void;
    const endOfStream = new Promise<void>((resolve) => (streamEnded = resolve));
    channel.port1.on('message', (message: PortMessage) => {
      if (message.type === 'end') streamEnded();
      else if (!job.settled) job.options.onStream?.(message);
    });
    channel.port1.once('close', () => streamEnded());
    job.cleanup.push(() => channel.port1.close());
    job.abortRunning = () => {
      channel.port1.postMessage({ type: 'abort' });
      // A worker that does not stop in time (a busy loop, a stuck native call) is terminated.
      setTimeout(() => kill.abort(), ABORT_GRACE_MS).unref();
    };
    const transferList = [channel.port2, ...(job.options.transferList ?? [])];
    this.piscina
      .run({ ...job.task, port: channel.port2 } as WorkerTask, { transferList: transferList as never, signal: kill.signal })
      .then(
        async (outcome) => {
          // Let the last chunks land before the stream is declared complete (see END_OF_STREAM).
          await Promise.race([endOfStream, sleep(ABORT_GRACE_MS)]);
          this.settle(job, outcome.ok ? undefined : rebuildError(outcome.error), outcome.ok ? outcome.value : undefined);
        },
        (error: Error) => this.settle(job, kill.signal.aborted ? new CancelledError() : new WorkerFailedError(this.device.id, error.message)),
      )
      .finally(() => {
        this.running--;
        this.serviceMs = 0.8 * this.serviceMs + 0.2 * (Date.now() - started);
        this.observer.serviceTime?.(Date.now() - started);
        this.observer.inFlight?.(this.running);
        this.next();
      });
  }

  private next(): void {
    while (this.running < this.workers && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.observer.queueDepth?.(this.queue.length);
      this.start(job);
    }
    if (this.running === 0 && this.queue.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private cancel(job: Job): void {
    this.stop(job, new CancelledError());
  }

  private timeOut(job: Job): void {
    this.stop(job, new RequestTimeoutError(job.options.timeoutMs));
  }

  /** Answers the job now; a queued one leaves the queue, a running one is told to stop (and frees its worker later). */
  private stop(job: Job, error: Error): void {
    if (job.settled) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.observer.queueDepth?.(this.queue.length);
    } else {
      job.abortRunning?.();
    }
    this.settle(job, error);
  }

  private settle(job: Job, error?: unknown, value?: TaskValue): void {
    if (job.settled) return;
    job.settled = true;
    for (const cleanup of job.cleanup) cleanup();
    if (error !== undefined) job.reject(error);
    else job.resolve(value!);
  }

  private onWorkerEvent(event: WorkerEvent): void {
    if (event.type === 'model-loaded') {
      const threads = this.loaded.get(event.model) ?? new Set<number>();
      threads.add(event.threadId);
      this.loaded.set(event.model, threads);
    } else if (event.type === 'model-unloaded') {
      this.loaded.get(event.model)?.delete(event.threadId);
      if (this.loaded.get(event.model)?.size === 0) this.loaded.delete(event.model);
    }
    this.observer.event?.(event);
  }

  /** A terminated worker took its models with it. */
  private forgetDeadThreads(): void {
    const alive = new Set(this.piscina.threads.map((thread) => thread.threadId).filter((id) => id >= 0));
    for (const [model, threads] of this.loaded) {
      for (const id of threads) if (!alive.has(id)) threads.delete(id);
      if (threads.size === 0) this.loaded.delete(model);
    }
  }
}

/** Plugin errors keep their meaning across the thread boundary: a bad request stays a 400, a cancel a cancel. */
function rebuildError(error: SerializedError): Error {
  if (error.name === 'PluginInputError') return new PluginInputError(error.message, error.param ?? null, error.code ?? 'invalid_value');
  if (error.name === 'CancelledError') return new CancelledError(error.message);
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  rebuilt.stack = error.stack;
  return rebuilt;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
