/**
 * onnxruntime tensor helpers shared by plugins whose exports vary in float precision (fp32 / fp16 / q4f16 graph I/O)
 * and carry KV caches. Not re-exported from the SDK index so the main thread never loads onnxruntime through it.
 */
import * as ort from 'onnxruntime-node';
import { float32ToHalf, halfToFloat32 } from './float16';

export type TensorMetadata = ort.InferenceSession.ValueMetadata & { isTensor: true };

export function tensorMetadata(list: readonly ort.InferenceSession.ValueMetadata[], name: string): TensorMetadata | undefined {
  const found = list.find((meta) => meta.name === name);
  return found && found.isTensor ? (found as TensorMetadata) : undefined;
}

/** Float32 data of a float32 or float16 tensor. */
export function tensorToFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return halfToFloat32(tensor.data as Uint16Array);
  throw new Error(`expected a float tensor, got ${tensor.type}`);
}

/** `data` as a tensor of the float type a graph input wants (float16 travels as Uint16Array half bits). */
export function floatTensor(type: ort.Tensor.Type, data: Float32Array, dims: readonly number[]): ort.Tensor {
  if (type === 'float16') return new ort.Tensor('float16', float32ToHalf(data), dims);
  return new ort.Tensor('float32', data, dims);
}

export function int64Tensor(values: readonly number[], dims: readonly number[] = [1, values.length]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (value) => BigInt(value)), dims);
}

/**
 * A zero-length past (`[1, heads, 0, headDim]`) of the input's declared dtype: "no cache yet". Symbolic axes other
 * than batch and sequence take `fallback`'s values.
 */
export function emptyPast(meta: TensorMetadata | undefined, fallback: { heads: number; headDim: number }, type: ort.Tensor.Type = 'float32'): ort.Tensor {
  const shape = meta?.shape ?? [];
  const dims = [1, fallback.heads, 0, fallback.headDim].map((value, axis) => {
    const declared = shape[axis];
    if (axis === 0 || axis === 2) return value;
    return typeof declared === 'number' && declared > 0 ? declared : value;
  });
  const dtype = meta?.type ?? type;
  return dtype === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
}
