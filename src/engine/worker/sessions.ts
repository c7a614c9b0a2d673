/**
 * onnxruntime sessions as the operator configured them for this worker's device. Plugins get `createSession`
 * through their context, so no plugin picks providers or thread counts of its own.
 */
import type * as ort from 'onnxruntime-node';
import type { SessionOverrides } from '../../../plugins/sdk';

/**
 * The native binding is loaded on the first session, not with this module: a worker that only serves models without
 * ONNX (eSpeak) never loads it, and neither does the main thread unless it probes a CUDA device. Each thread that
 * loads it gets native state that must be torn down when the thread ends, so only threads that need it pay that.
 */
export function loadOnnxRuntime(): Promise<typeof ort> {
  return import('onnxruntime-node');
}
import type { OrtDeviceOptions } from '../devices';

export function sessionOptions(device: OrtDeviceOptions, overrides: SessionOverrides = {}): ort.InferenceSession.SessionOptions {
  return {
    ...overrides.sessionOptions,
    executionProviders: device.executionProviders as ort.InferenceSession.SessionOptions['executionProviders'],
    intraOpNumThreads: device.intraOpNumThreads,
    interOpNumThreads: device.interOpNumThreads,
    graphOptimizationLevel: device.graphOptimizationLevel,
  };
}

export function sessionFactory(device: OrtDeviceOptions) {
  return async (model: string | Uint8Array, overrides?: SessionOverrides): Promise<ort.InferenceSession> => {
    const { InferenceSession } = await loadOnnxRuntime();
    const options = sessionOptions(device, overrides);
    return typeof model === 'string' ? InferenceSession.create(model, options) : InferenceSession.create(model, options);
  };
}
