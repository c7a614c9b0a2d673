import '../fixtures/onnx/cross-realm-typed-arrays';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildModel, encodeModel, GraphBuilder, SeededRandom, toFloat16Bits, writeModel } from '../fixtures/onnx/graph-builder';

/** y = x @ w + b with a symbolic batch dim, weights from a seed. */
function matMulAdd(seed: number): { graph: GraphBuilder; w: Float32Array; b: Float32Array } {
  const rng = new SeededRandom(seed);
  const w = rng.normals(4 * 3, 1);
  const b = rng.normals(3, 1);
  const g = new GraphBuilder('matmul_add');
  const x = g.input('x', 'float32', ['batch_size', 4]);
  const y = g.op('Add', [g.op('MatMul', [x, g.initializer('w', w, [4, 3])]), g.initializer('b', b, [3])]);
  g.output(y, 'float32', ['batch_size', 3], 'y');
  return { graph: g, w, b };
}

function expected(x: number[][], w: Float32Array, b: Float32Array): number[] {
  return x.flatMap((row) => [0, 1, 2].map((j) => row.reduce((sum, v, k) => sum + v * w[k * 3 + j], b[j])));
}

describe('ONNX graph builder', () => {
  it('builds a model that onnxruntime loads, with the declared names, types, symbolic dims and values', async () => {
    const { graph, w, b } = matMulAdd(1);
    const session = await ort.InferenceSession.create(encodeModel(buildModel(graph)));
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    expect(session.inputMetadata[0]).toMatchObject({ name: 'x', isTensor: true, type: 'float32', shape: ['batch_size', 4] });
    expect(session.outputMetadata[0]).toMatchObject({ name: 'y', isTensor: true, type: 'float32', shape: ['batch_size', 3] });

    const x = [
      [1, 2, 3, 4],
      [-1, 0.5, 0, 2],
    ];
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x.flat()), [2, 4]) });
    expect(y.dims).toEqual([2, 3]);
    const values = Array.from(y.data as Float32Array);
    expected(x, w, b).forEach((v, i) => expect(values[i]).toBeCloseTo(v, 5));
    await session.release();
  });

  it('gives the same weights for the same seed and different weights for another', () => {
    expect(new SeededRandom(7).normals(16, 1)).toEqual(new SeededRandom(7).normals(16, 1));
    expect(new SeededRandom(7).normals(16, 1)).not.toEqual(new SeededRandom(8).normals(16, 1));
  });

  it('writes weights to a .onnx_data sidecar that onnxruntime resolves next to the model file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onnx-builder-'));
    try {
      const { graph, w, b } = matMulAdd(2);
      const path = join(dir, 'onnx', 'model.onnx');
      await writeModel(path, buildModel(graph), { externalData: true, externalDataThreshold: 1 });
      expect((await readdir(join(dir, 'onnx'))).sort()).toEqual(['model.onnx', 'model.onnx_data']);
      expect((await stat(`${path}_data`)).size).toBeGreaterThanOrEqual((w.length + b.length) * 4);

      const session = await ort.InferenceSession.create(path);
      const x = [[0.25, -2, 1, 3]];
      const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x.flat()), [1, 4]) });
      expected(x, w, b).forEach((v, i) => expect((y.data as Float32Array)[i]).toBeCloseTo(v, 5));
      await session.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs an If whose subgraph branches read outer values, picking the branch from a bool input', async () => {
    const g = new GraphBuilder('if_model');
    const cond = g.input('cond', 'bool', [1]);
    const x = g.input('x', 'float32', ['n']);
    const thenBranch = g.subgraph('then');
    thenBranch.output(thenBranch.op('Add', [x, thenBranch.scalar(1)]), 'float32', ['n'], 'then_out');
    const elseBranch = g.subgraph('else');
    elseBranch.output(elseBranch.op('Neg', [x]), 'float32', ['n'], 'else_out');
    g.node('If', [cond], ['y'], { then_branch: thenBranch, else_branch: elseBranch });
    g.output('y', 'float32', ['n']);
    const session = await ort.InferenceSession.create(encodeModel(buildModel(g)));
    const input = new ort.Tensor('float32', Float32Array.of(1, 2), [2]);
    const run = async (c: boolean) =>
      Array.from((await session.run({ cond: new ort.Tensor('bool', Uint8Array.of(c ? 1 : 0), [1]), x: input })).y.data as Float32Array);
    expect(await run(true)).toEqual([2, 3]);
    expect(await run(false)).toEqual([-1, -2]);
    expect(session.inputMetadata[0]).toMatchObject({ name: 'cond', type: 'bool' });
    await session.release();
  });

  it('converts to float16 bits that onnxruntime reads back as the same numbers', async () => {
    const values = [0, 1, -2.5, 65504, 1e-5, 0.1];
    const g = new GraphBuilder('half');
    const h = g.input('h', 'float16', [values.length]);
    g.output(g.op('Cast', [h], { to: 1 }), 'float32', [values.length], 'f');
    const session = await ort.InferenceSession.create(encodeModel(buildModel(g)));
    const { f } = await session.run({ h: new ort.Tensor('float16', toFloat16Bits(values), [values.length]) });
    const back = Array.from(f.data as Float32Array);
    values.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-3 + 1e-7));
    await session.release();
  });
});
