import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type {
  Pcm,
  PluginContext,
  PluginInstance,
  SpeechRequest,
  TranscriptionProgress,
  TranscriptionRequest,
  TranscriptionResult,
} from '../../plugins/sdk';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UnsupportedOptionError } from './engine.errors';
import { ModelRegistry, type ServedModel } from './model-registry';
import type { LoadedPlugin } from './plugin-loader';

export const MODEL_REGISTRY = Symbol('MODEL_REGISTRY');
export const PLUGIN_CONTEXT = Symbol('PLUGIN_CONTEXT');

/**
 * The one door from HTTP to models: resolves a model id, makes sure its plugin is loaded, and runs the request.
 * Plugins are created on first use (or at start for PRELOAD_MODELS) and shared by all requests.
 */
@Injectable()
export class EngineService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EngineService.name);
  private readonly instances = new Map<LoadedPlugin, Promise<PluginInstance>>();
  private ready = false;

  constructor(
    @Inject(MODEL_REGISTRY) readonly registry: ModelRegistry,
    @Inject(PLUGIN_CONTEXT) private readonly context: PluginContext,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** True once every PRELOAD_MODELS entry is loaded. */
  isReady(): boolean {
    return this.ready;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Loading runs in the background so /healthz answers at once; /readyz tells when it is done.
    void this.preload().catch((error: Error) => this.logger.error(`Preloading failed: ${error.message}`));
  }

  private async preload(): Promise<void> {
    for (const model of this.config.PRELOAD_MODELS) await this.instance(this.registry.resolve(model).plugin);
    this.ready = true;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const [plugin, instance] of this.instances) {
      await (await instance.catch(() => undefined))?.dispose?.();
      this.instances.delete(plugin);
    }
  }

  /** Starts synthesis; audio arrives through the returned iterable (errors about the request surface on first pull). */
  async synthesize(request: SpeechRequest, signal: AbortSignal): Promise<{ model: ServedModel; audio: AsyncIterable<Pcm> }> {
    const model = this.registry.resolve(request.model, 'speech');
    const backend = (await this.instance(model.plugin)).speech;
    if (!backend) throw new Error(`Plugin '${model.plugin.definition.id}' lists speech models but has no speech backend.`);
    return { model, audio: backend.synthesize({ ...request, model: model.info.id }, signal) };
  }

  /** Throws the error a transcription request would meet (unknown model, missing capability) without running it. */
  checkTranscription(request: Omit<TranscriptionRequest, 'audio'>): ServedModel {
    const task = request.task === 'translate' ? 'translation' : 'transcription';
    const model = this.registry.resolve(request.model, task);
    if (request.timestamps.word && !model.info.capabilities?.wordTimestamps) {
      throw new UnsupportedOptionError(
        `The model \`${request.model}\` cannot produce word timestamps. Use timestamp_granularities[]=segment, or a model that lists word timestamps.`,
        'timestamp_granularities',
      );
    }
    return model;
  }

  async transcribe(request: TranscriptionRequest, signal: AbortSignal, progress?: TranscriptionProgress): Promise<TranscriptionResult> {
    const model = this.checkTranscription(request);
    const backend = (await this.instance(model.plugin)).transcription;
    if (!backend) throw new Error(`Plugin '${model.plugin.definition.id}' lists ${request.task} models but has no transcription backend.`);
    return backend.transcribe({ ...request, model: model.info.id }, signal, progress);
  }

  private instance(plugin: LoadedPlugin): Promise<PluginInstance> {
    let instance = this.instances.get(plugin);
    if (!instance) {
      const started = Date.now();
      instance = Promise.resolve(plugin.definition.create(this.context)).then((created) => {
        this.logger.log(`Loaded plugin '${plugin.definition.id}' in ${Date.now() - started} ms`);
        return created;
      });
      // A failed load is retried by the next request rather than cached forever.
      instance.catch(() => this.instances.delete(plugin));
      this.instances.set(plugin, instance);
    }
    return instance;
  }
}
