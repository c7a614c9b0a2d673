import * as ort from 'onnxruntime-node';
import type { ModelInfo, PluginContext } from '../../plugins/sdk';
import { sessionFactory } from '../../src/engine/worker/sessions';

export const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The context a plugin gets in a CPU worker, for tests that drive a plugin directly (without the engine's
 * threads): the same session factory and options the workers use.
 */
export function cpuPluginContext(modelsDir = '/nonexistent'): PluginContext {
  return {
    modelsDir,
    log: silentLog,
    device: { id: 'cpu:0', kind: 'cpu', index: 0 },
    createSession: sessionFactory({ executionProviders: [{ name: 'cpu' }], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' }),
  };
}

/** A model entry as a manifest would list it. */
export function modelInfo(id: string, overrides: Partial<ModelInfo> = {}): ModelInfo {
  return { id, tasks: ['speech'], ownedBy: 'tests', ...overrides };
}

/**
 * Watches one run of a session a plugin opened: called with the run's feeds before it starts; a function it returns
 * is called once the run has finished (to time it, say). It sees what the model computes, never changes it.
 */
export type SessionRunObserver = (session: ort.InferenceSession, feeds: Record<string, ort.Tensor>) => void | (() => void);

/**
 * A CPU context with onnxruntime's default session options (as plugin-level tests and benchmarks drive plugins,
 * without the engine's threads) whose sessions report every run to `observe`.
 */
export function observedPluginContext(modelsDir: string, observe?: SessionRunObserver): PluginContext {
  return {
    modelsDir,
    log: silentLog,
    device: { id: 'cpu', kind: 'cpu', index: 0 },
    async createSession(model) {
      const session = await ort.InferenceSession.create(model as string);
      if (!observe) return session;
      const run = session.run.bind(session) as (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>;
      (session as { run: unknown }).run = async (feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => {
        const finished = observe(session, feeds);
        const outputs = await run(feeds, ...rest);
        finished?.();
        return outputs;
      };
      return session;
    },
  };
}
