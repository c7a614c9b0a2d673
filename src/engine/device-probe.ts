/**
 * Opens a one-node session on a device to prove its execution provider loads (start-up check for CUDA devices).
 * The model is built here, in memory, so the check needs no file.
 */
import { onnx } from 'onnx-proto';
import type { DeviceProbe } from './devices';
import { loadOnnxRuntime, sessionOptions } from './worker/sessions';

function identityModel(): Uint8Array {
  const tensor = (name: string) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 9,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'probe', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [tensor('x')], output: [tensor('y')] },
  });
  return onnx.ModelProto.encode(model).finish();
}

export const probeDevice: DeviceProbe = async (_device, options) => {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(identityModel(), sessionOptions(options));
  try {
    await session.run({ x: new ort.Tensor('float32', new Float32Array([1]), [1]) });
  } finally {
    await session.release();
  }
};
