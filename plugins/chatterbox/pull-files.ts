/**
 * Which files of a Chatterbox ONNX repo (ResembleAI/chatterbox-turbo-ONNX, onnx-community/chatterbox-ONNX,
 * chatterbox-multilingual-ONNX) the server needs for one dtype: the four graphs (each in that dtype, or fp32 where
 * the repo ships that graph in fewer dtypes, as the plugin loads them) with their sidecars, the tokenizer and the
 * small top-level files (configs, default_voice.wav). The other dtypes' graphs would multiply the download.
 */
import { AUTO_DTYPE_ORDER, DTYPE_SUFFIX, externalDataFiles, ONNX_DTYPES, type OnnxDtype } from '../sdk/onnx-dtypes';
import { GRAPHS } from './constants';

const NOT_NEEDED = /^(README(\.[A-Za-z0-9]+)?|\.gitattributes)$/i;

function graphPath(graph: string, dtype: OnnxDtype): string {
  return `onnx/${graph}${DTYPE_SUFFIX[dtype]}.onnx`;
}

export function selectChatterboxFiles(repoFiles: readonly string[], options: { dtype?: string } = {}): string[] {
  const dtype = options.dtype ?? 'fp32';
  if (!(ONNX_DTYPES as readonly string[]).includes(dtype)) throw new Error(`unknown Chatterbox dtype '${dtype}' (expected one of ${ONNX_DTYPES.join(', ')})`);
  const present = new Set(repoFiles);
  if (!present.has('tokenizer.json')) throw new Error('missing tokenizer.json: this does not look like a Chatterbox ONNX repo');
  const order = [dtype as OnnxDtype, ...AUTO_DTYPE_ORDER.filter((other) => other !== dtype)];
  const selected = repoFiles.filter((file) => !file.includes('/') && !NOT_NEEDED.test(file)).sort();
  for (const graph of GRAPHS) {
    const found = order.map((candidate) => graphPath(graph, candidate)).find((file) => present.has(file));
    if (!found) throw new Error(`missing onnx/${graph}*.onnx: this does not look like a Chatterbox ONNX repo`);
    selected.push(found, ...externalDataFiles(found, repoFiles));
  }
  return selected;
}

/** What the `models` command needs to know about this family (structurally a ModelFamily of src/models). */
export const chatterboxPullFiles = {
  id: 'chatterbox',
  dtypes: ONNX_DTYPES,
  defaultDtype: 'fp32' as OnnxDtype,
  matches: (repo: string) => /chatterbox/i.test(repo),
  selectFiles: selectChatterboxFiles,
};
