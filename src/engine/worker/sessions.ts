/**
 * onnxruntime sessions as the operator configured them for this worker's device. Plugins get `createSession`
 * through their context, so no plugin picks providers or thread counts of its own.
 */
import * as ort from 'onnxruntime-node';
import type { SessionOverrides } from '../../../plugins/sdk';
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
  return (model: string | Uint8Array, overrides?: SessionOverrides): Promise<ort.InferenceSession> => {
    const options = sessionOptions(device, overrides);
    return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
  };
}
