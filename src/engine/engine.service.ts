import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { DescribeContext, Pcm, SpeechRequest, TranscriptionProgress, TranscriptionRequest, TranscriptionResult, VoiceEmbedding } from '../../plugins/sdk';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { AsyncQueue } from './async-queue';
import { DevicePool } from './device-pool';
import { probeDevice } from './device-probe';
import { assertDevicesUsable, ortOptionsFor, workersFor, type DeviceInfo, type OrtDeviceOptions } from './devices';
import { UnsupportedOptionError } from './engine.errors';
import { ModelIntegrity } from './model-integrity';
import { ModelRegistry, type ServedModel } from './model-registry';
import { leastLoaded } from './scheduler';
import type { ModelRef, StreamMessage, TaskValue, WorkerEvent } from './worker/protocol';

export const MODEL_REGISTRY = Symbol('MODEL_REGISTRY');
export const PLUGIN_CONTEXT = Symbol('PLUGIN_CONTEXT');

/** Where a model is loaded: device id → how many of its workers hold it. */
export type Placement = Record<string, number>;

/**
 * The one door from HTTP to models. Resolves a model id through the registry, picks the least-loaded device pool,
 * and runs the request in one of its worker threads: model code never runs on the event loop.
 */
@Injectable()
export class EngineService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EngineService.name);
  private pools: DevicePool[] = [];
  private ready = false;
  private integrity?: ModelIntegrity;

  constructor(
    @Inject(MODEL_REGISTRY) readonly registry: ModelRegistry,
    @Inject(PLUGIN_CONTEXT) private readonly context: DescribeContext,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  /** Checks the devices and starts one worker pool per device; a CUDA device that cannot run stops the start-up. */
  async onModuleInit(): Promise<void> {
    const devices = this.config.DEVICES;
    const cpuDevices = devices.filter((device) => device.kind === 'cpu').length;
    const workers = new Map(devices.map((device) => [device.id, workersFor(device, this.config.WORKERS_PER_DEVICE, cpuDevices)]));
    const cpuWorkers = devices.filter((device) => device.kind === 'cpu').reduce((sum, device) => sum + workers.get(device.id)!, 0);
    const ortOf = (device: DeviceInfo): OrtDeviceOptions =>
      ortOptionsFor(
        device,
        {
          providerOptions: this.config.ORT_PROVIDER_OPTIONS,
          intraOpThreads: this.config.ORT_INTRA_OP_THREADS,
          graphOptimizationLevel: this.config.ORT_GRAPH_OPTIMIZATION_LEVEL,
        },
        cpuWorkers,
      );
    await assertDevicesUsable(devices, ortOf, probeDevice);
    if (this.config.MODEL_VERIFY_ON_LOAD) this.integrity = new ModelIntegrity(this.context.modelsDir);
    this.pools = devices.map((device) => {
      const ort = ortOf(device);
      this.logger.log(
        `Device ${device.id}: ${workers.get(device.id)} workers, providers ${ort.executionProviders.map((provider) => provider.name).join('+')}, ` +
          `${ort.intraOpNumThreads} intra-op threads each`,
      );
      this.metrics.workers.set({ device: device.id }, workers.get(device.id)!);
      return new DevicePool({
        workers: workers.get(device.id)!,
        maxQueue: this.config.MAX_QUEUE,
        worker: { device, ort, modelsDir: this.context.modelsDir, modelTtlSeconds: this.config.MODEL_TTL_S, logLevel: this.config.LOG_LEVEL },
        observer: this.observerFor(device.id),
      });
    });
  }

  /** True once every PRELOAD_MODELS entry is loaded on every device. */
  isReady(): boolean {
    return this.ready;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Loading runs in the background so /healthz answers at once; /readyz tells when it is done.
    void this.preload().catch((error: Error) => this.logger.error(`Preloading failed: ${error.message}`));
  }

  private async preload(): Promise<void> {
    for (const id of this.config.PRELOAD_MODELS) {
      const model = this.registry.resolve(id);
      const ref = this.refOf(model);
      await this.integrity?.ensure(model.info.id);
      await Promise.all(this.pools.map((pool) => pool.preload(ref, this.config.REQUEST_TIMEOUT_MS)));
    }
    this.ready = true;
  }

  /** Waits up to `graceMs` for running and queued work, then ends every worker. */
  async drain(graceMs: number): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close(graceMs)));
    this.pools = [];
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain(0);
  }

  /** Where each model is loaded now. */
  placement(model: string): Placement {
    const placement: Placement = {};
    for (const pool of this.pools) {
      const count = pool.loadedCount(model);
      if (count > 0) placement[pool.device.id] = count;
    }
    return placement;
  }

  /** Starts synthesis; audio arrives through the returned iterable (errors about the request surface on first pull). */
  async synthesize(request: SpeechRequest, signal: AbortSignal): Promise<{ model: ServedModel; audio: AsyncIterable<Pcm> }> {
    const model = this.registry.resolve(request.model, 'speech');
    const stop = new AbortController();
    const linked = AbortSignal.any([signal, stop.signal]);
    const audio = new AsyncQueue<Pcm>(() => stop.abort());
    const started = performance.now();
    let samples = 0;
    let firstAudio = true;
    const job = this.run(model, { kind: 'speech', ref: this.refOf(model), request: { ...request, model: model.info.id } }, linked, (message) => {
      if (message.type !== 'audio') return;
      if (firstAudio) this.metrics.timeToFirstAudio.observe({ model: model.info.id }, (performance.now() - started) / 1000);
      firstAudio = false;
      samples += message.samples.length / message.sampleRate;
      audio.push({ samples: message.samples, sampleRate: message.sampleRate });
    });
    job.then(
      () => {
        this.recordSpeech(model.info.id, samples, performance.now() - started);
        audio.end();
      },
      (error: unknown) => audio.fail(error),
    );
    return { model, audio };
  }

  /** Throws the error a transcription request would meet (unknown model, missing capability) without running it. */
  checkTranscription(request: Omit<TranscriptionRequest, 'audio'>): ServedModel {
    const task = request.task === 'translate' ? 'translation' : 'transcription';
    const model = this.registry.resolve(request.model, task);
    if (request.timestamps.word && !model.info.capabilities?.wordTimestamps) {
      throw new UnsupportedOptionError(
        model.info.capabilityHints?.wordTimestamps ??
          `The model \`${request.model}\` cannot produce word timestamps. Use timestamp_granularities[]=segment, or a model that lists word timestamps.`,
        'timestamp_granularities',
      );
    }
    return model;
  }

  async transcribe(request: TranscriptionRequest, signal: AbortSignal, progress?: TranscriptionProgress): Promise<TranscriptionResult> {
    const model = this.checkTranscription(request);
    const started = performance.now();
    const seconds = request.audio.length / 16_000;
    const value = await this.run(
      model,
      { kind: 'transcription', ref: this.refOf(model), request: { ...request, model: model.info.id } },
      signal,
      (message) => {
        if (message.type === 'text') progress?.onText?.(message.delta);
      },
      // The audio moves into the worker rather than being copied.
      [request.audio.buffer as ArrayBuffer],
    );
    if (value.kind !== 'transcription') throw new Error('worker answered a transcription with something else');
    this.metrics.audioIn.inc({ model: model.info.id }, seconds);
    if (seconds > 0) this.metrics.realTimeFactor.observe({ model: model.info.id, task: request.task }, (performance.now() - started) / 1000 / seconds);
    return value.result;
  }

  /** The speech model that clones voices when the client names none: the one `tts-1-hd` stands for, else the first. */
  cloningModel(requested?: string): ServedModel {
    if (requested) {
      const model = this.registry.resolve(requested, 'speech');
      if (!model.info.capabilities?.voiceCloning) {
        throw new UnsupportedOptionError(`The model \`${requested}\` cannot clone voices. Install a Chatterbox export (see the README) and use it.`, 'model');
      }
      return model;
    }
    const candidates = this.registry.catalog().filter((entry) => entry.served.info.capabilities?.voiceCloning);
    const preferred = candidates.find((entry) => entry.id === 'tts-1-hd') ?? candidates[0];
    if (!preferred) throw new UnsupportedOptionError('No installed model can clone voices. Install a Chatterbox export (see the README: models pull) and retry.', 'model');
    return preferred.served;
  }

  /** Runs the model's speech encoder once on a reference clip; the result is what a stored voice keeps. */
  async embedVoice(model: ServedModel, reference: Pcm, signal: AbortSignal): Promise<VoiceEmbedding> {
    const value = await this.run(model, { kind: 'voice', ref: this.refOf(model), reference }, signal, () => undefined, [reference.samples.buffer as ArrayBuffer]);
    if (value.kind !== 'voice') throw new Error('worker answered a voice request with something else');
    return value.embedding;
  }

  private async run(
    model: ServedModel,
    task: Parameters<DevicePool['run']>[0],
    signal: AbortSignal,
    onStream: (message: StreamMessage) => void,
    transferList?: ArrayBuffer[],
  ): Promise<TaskValue> {
    if (this.pools.length === 0) throw new Error('The engine has no device pools (not started, or shut down).');
    await this.integrity?.ensure(model.info.id);
    const pool = leastLoaded(this.pools, model.info.id);
    return pool.run(task, { signal, timeoutMs: this.config.REQUEST_TIMEOUT_MS, onStream, transferList });
  }

  private refOf(model: ServedModel): ModelRef {
    return { pluginFile: model.plugin.source, model: model.info };
  }

  private recordSpeech(model: string, seconds: number, elapsedMs: number): void {
    this.metrics.audioOut.inc({ model }, seconds);
    if (seconds > 0) this.metrics.realTimeFactor.observe({ model, task: 'speech' }, elapsedMs / 1000 / seconds);
  }

  private observerFor(device: string) {
    const labels = { device };
    return {
      queueDepth: (depth: number) => this.metrics.queueDepth.set(labels, depth),
      queueWait: (ms: number) => this.metrics.queueWait.observe(labels, ms / 1000),
      inFlight: (count: number) => this.metrics.inFlight.set(labels, count),
      workerRestarted: () => {
        this.metrics.workerRestarts.inc(labels);
        this.logger.warn(`A worker on ${device} was replaced`);
      },
      event: (event: WorkerEvent) => this.onWorkerEvent(device, event),
    };
  }

  private onWorkerEvent(device: string, event: WorkerEvent): void {
    switch (event.type) {
      case 'model-loaded':
        this.metrics.modelLoads.inc({ device, model: event.model });
        this.metrics.modelLoadSeconds.observe({ device, model: event.model }, event.ms / 1000);
        this.logger.log(`Loaded ${event.model} on ${device} (worker ${event.threadId}) in ${event.ms} ms`);
        break;
      case 'model-unloaded':
        this.metrics.modelUnloads.inc({ device, model: event.model });
        this.logger.log(`Unloaded ${event.model} on ${device} (worker ${event.threadId}) after ${Math.round(event.idleMs / 1000)} s idle`);
        break;
      case 'log': {
        const line = `[${device} worker ${event.threadId}] ${event.message}${event.fields ? ` ${JSON.stringify(event.fields)}` : ''}`;
        const method = { debug: 'debug', info: 'log', warn: 'warn', error: 'error' } as const;
        this.logger[method[event.level]](line);
        break;
      }
    }
  }
}
