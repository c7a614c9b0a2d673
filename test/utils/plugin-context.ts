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
