/**
 * Finds a Chatterbox export's four graphs in `MODELS_DIR/<id>/onnx/` for CHATTERBOX_DTYPE. Each graph is picked on
 * its own: onnx-community/chatterbox-ONNX ships quantized files only for language_model, so asking for q4f16 loads
 * that one quantized and the other three at full precision. Sessions open from the PATH so `.onnx_data` resolves.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AUTO_DTYPE_ORDER, DTYPE_SUFFIX, parseOnnxDtype, type OnnxDtype } from '../sdk/onnx-dtypes';
import { GRAPHS, type GraphName } from './constants';

export type ChatterboxModelFiles = Record<GraphName, { path: string; dtype: OnnxDtype }>;

export function parseChatterboxDtype(value: string | undefined): OnnxDtype | 'auto' {
  return parseOnnxDtype(value, 'CHATTERBOX_DTYPE');
}

function findGraph(modelDir: string, graph: GraphName, dtype: OnnxDtype | 'auto'): { path: string; dtype: OnnxDtype } | undefined {
  // The asked-for dtype first, then the auto order as a fallback for graphs shipped in fewer dtypes.
  const order = dtype === 'auto' ? AUTO_DTYPE_ORDER : [dtype, ...AUTO_DTYPE_ORDER.filter((other) => other !== dtype)];
  for (const candidate of order) {
    const path = join(modelDir, 'onnx', `${graph}${DTYPE_SUFFIX[candidate]}.onnx`);
    if (existsSync(path)) return { path, dtype: candidate };
  }
  return undefined;
}

/** The four graphs, or undefined when one is missing (or there is no tokenizer.json): not a usable export. */
export function findChatterboxFiles(modelDir: string, dtype: OnnxDtype | 'auto'): ChatterboxModelFiles | undefined {
  if (!existsSync(join(modelDir, 'tokenizer.json'))) return undefined;
  const files: Partial<ChatterboxModelFiles> = {};
  for (const graph of GRAPHS) {
    const found = findGraph(modelDir, graph, dtype);
    if (!found) return undefined;
    files[graph] = found;
  }
  return files as ChatterboxModelFiles;
}
