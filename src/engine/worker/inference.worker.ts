/**
 * An inference worker (a piscina worker thread pinned to one device). It loads plugins from their compiled files,
 * keeps each model loaded per worker (ModelCache), and runs one task at a time: speech streams its audio back over
 * the task's port as it is produced, transcription streams its text deltas the same way. A task's port also
 * carries the main thread's `abort`, which fires the AbortSignal the plugin checks between steps.
 */
import { workerData } from 'piscina';
import { parentPort, threadId } from 'node:worker_threads';
import { CancelledError, type PluginContext, type PluginDefinition, type PluginLogger } from '../../../plugins/sdk';
import { ModelCache } from './model-cache';
import {
  END_OF_STREAM,
  WORKER_EVENT,
  type ControlMessage,
  type ModelRef,
  type SerializedError,
  type StreamMessage,
  type TaskOutcome,
  type TaskValue,
  type WorkerConfig,
  type WorkerEvent,
  type WorkerTask,
} from './protocol';
import { sessionFactory } from './sessions';

const config = workerData as WorkerConfig;
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const minLevel = LEVELS.indexOf(config.logLevel === 'info' ? 'info' : config.logLevel);

function emit(event: WorkerEvent): void {
  parentPort?.postMessage({ ...event, [WORKER_EVENT]: true });
}

const log: PluginLogger = Object.fromEntries(
  LEVELS.map((level, rank) => [
    level,
    (message: string, fields?: Record<string, unknown>) => {
      if (rank >= minLevel) emit({ type: 'log', threadId, level, message, fields });
    },
  ]),
) as unknown as PluginLogger;

const openSession = sessionFactory(config.ort);
const providers = config.ort.executionProviders.map((provider) => provider.name).join('+');

const context: PluginContext = {
  modelsDir: config.modelsDir,
  log,
  device: config.device,
  async createSession(model, overrides) {
    const started = performance.now();
    // onnxruntime fails the call if a requested provider cannot be set up, so an opened session is on these.
    const session = await openSession(model, overrides);
    log.info('onnxruntime session opened', {
      model: typeof model === 'string' ? model : `${model.byteLength} bytes`,
      providers,
      ms: Math.round(performance.now() - started),
    });
    return session;
  },
};

const cache = new ModelCache(config.modelTtlSeconds, {
  loaded: (model, ms) => emit({ type: 'model-loaded', threadId, model, ms }),
  unloaded: (model, idleMs) => emit({ type: 'model-unloaded', threadId, model, idleMs }),
  disposeFailed: (model, error) => log.warn('Disposing a model failed', { model, error: (error as Error).message }),
});

const plugins = new Map<string, PluginDefinition>();

function pluginAt(file: string): PluginDefinition {
  let definition = plugins.get(file);
  if (!definition) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(file) as { default?: PluginDefinition };
    definition = (exported.default ?? exported) as PluginDefinition;
    plugins.set(file, definition);
  }
  return definition;
}

function keyOf(ref: ModelRef): string {
  return ref.model.id;
}

function acquire(ref: ModelRef, pin = false) {
  return cache.acquire(keyOf(ref), () => pluginAt(ref.pluginFile).create(context, ref.model), { pin });
}

/** piscina calls this for every task. It never throws: failures come back as data (see protocol.ts). */
export default async function runTask(task: WorkerTask): Promise<TaskOutcome<TaskValue>> {
  try {
    return { ok: true, value: await dispatch(task) };
  } catch (error) {
    return { ok: false, error: serialize(error) };
  } finally {
    if (task.kind !== 'load') {
      task.port.postMessage(END_OF_STREAM);
      task.port.close();
    }
  }
}

async function dispatch(task: WorkerTask): Promise<TaskValue> {
  if (task.kind === 'load') {
    const started = performance.now();
    await acquire(task.ref, task.pin);
    cache.release(keyOf(task.ref));
    return { kind: 'load', loadMs: Math.round(performance.now() - started) };
  }
  const controller = new AbortController();
  task.port.on('message', (message: ControlMessage) => {
    if (message.type === 'abort') controller.abort();
  });
  const { signal } = controller;
  const instance = await acquire(task.ref);
  try {
    if (signal.aborted) throw new CancelledError();
    const send = (message: StreamMessage, transfer: ArrayBuffer[] = []) => task.port.postMessage(message, transfer);
    if (task.kind === 'speech') {
      if (!instance.speech) throw new Error(`Model '${task.ref.model.id}' has no speech backend.`);
      for await (const chunk of instance.speech.synthesize(task.request, signal)) {
        if (signal.aborted) throw new CancelledError();
        // Our own copy to hand over: a chunk may be a view into a WebAssembly heap, which must not be detached.
        const samples = new Float32Array(chunk.samples);
        send({ type: 'audio', samples, sampleRate: chunk.sampleRate }, [samples.buffer]);
      }
      return { kind: 'speech' };
    }
    if (task.kind === 'voice') {
      if (!instance.voiceCloning) throw new Error(`Model '${task.ref.model.id}' has no voice-cloning backend.`);
      return { kind: 'voice', embedding: await instance.voiceCloning.embed(task.reference, signal) };
    }
    if (!instance.transcription) throw new Error(`Model '${task.ref.model.id}' has no transcription backend.`);
    const result = await instance.transcription.transcribe(task.request, signal, {
      onText: (delta) => send({ type: 'text', delta }),
    });
    return { kind: 'transcription', result };
  } finally {
    cache.release(keyOf(task.ref));
  }
}

function serialize(error: unknown): SerializedError {
  if (error instanceof Error) {
    const { param, code } = error as Error & { param?: string | null; code?: string | null };
    return { name: error.name, message: error.message, param, code: typeof code === 'string' || code === null ? code : undefined, stack: error.stack };
  }
  return { name: 'Error', message: String(error) };
}
