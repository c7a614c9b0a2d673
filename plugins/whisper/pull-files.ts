/**
 * Which files of a Whisper ONNX repo (onnx-community / Xenova layout) the server needs, for one dtype.
 *
 * transformers.js loads only two graphs, `onnx/encoder_model{suffix}.onnx` and `onnx/decoder_model_merged{suffix}.onnx`,
 * plus their external-data sidecars; the repos also ship `decoder_model*` and `decoder_with_past_model*` graphs for
 * every dtype, which would multiply the download for nothing. Pure: the `models` command hands in the repo listing.
 */
import { DTYPE_SUFFIX, ONNX_DTYPES, externalDataFiles as sidecarsOf, type OnnxDtype } from '../sdk/onnx-dtypes';

/** Every dtype the Whisper plugin loads (model-files.ts): pulling weights the server cannot open would help no one. */
export type WhisperDtype = OnnxDtype;

export const WHISPER_DTYPES: readonly WhisperDtype[] = ONNX_DTYPES;

/** The two graphs transformers.js opens for Whisper (session_config.js, Seq2Seq). */
const GRAPHS = ['encoder_model', 'decoder_model_merged'] as const;

const REQUIRED_CONFIGS = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json'];
const OPTIONAL_CONFIGS = ['tokenizer_config.json'];

export function isWhisperDtype(value: string): value is WhisperDtype {
  return (ONNX_DTYPES as readonly string[]).includes(value);
}

/** The graph file for one graph and dtype, e.g. `onnx/encoder_model_quantized.onnx`. */
export function whisperGraphPath(graph: (typeof GRAPHS)[number], dtype: WhisperDtype): string {
  return `onnx/${graph}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** The dtypes for which the repo has both graphs. */
export function availableWhisperDtypes(repoFiles: readonly string[]): WhisperDtype[] {
  const present = new Set(repoFiles);
  return WHISPER_DTYPES.filter((dtype) => GRAPHS.every((graph) => present.has(whisperGraphPath(graph, dtype))));
}

/**
 * The files to fetch for `dtype` (default fp32), in a stable order: configs first, then each graph followed by its
 * sidecars (`.onnx_data`, `.onnx_data_1`, …). Throws, naming what is missing, when the repo cannot serve that dtype.
 */
export function selectWhisperFiles(repoFiles: readonly string[], options: { dtype?: string } = {}): string[] {
  const dtype = options.dtype ?? 'fp32';
  if (!isWhisperDtype(dtype)) throw new Error(`unknown Whisper dtype '${dtype}' (expected one of ${WHISPER_DTYPES.join(', ')})`);
  const present = new Set(repoFiles);

  const missing = REQUIRED_CONFIGS.filter((file) => !present.has(file));
  const graphs = GRAPHS.map((graph) => whisperGraphPath(graph, dtype));
  const missingGraphs = graphs.filter((file) => !present.has(file));
  if (missingGraphs.length > 0) {
    const available = availableWhisperDtypes(repoFiles);
    throw new Error(
      `no ${dtype} weights (missing ${missingGraphs.join(', ')}); ` +
        (available.length > 0 ? `available dtypes: ${available.join(', ')}` : 'this does not look like a Whisper ONNX repo'),
    );
  }
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}, which Whisper needs`);

  const selected = [...REQUIRED_CONFIGS, ...OPTIONAL_CONFIGS.filter((file) => present.has(file))];
  for (const graph of graphs) {
    selected.push(graph);
    selected.push(...sidecarsOf(graph, repoFiles));
  }
  return selected;
}

/** Repos the Whisper selection applies to: the repo id says whisper (`onnx-community/whisper-base`, `distil-whisper/…`). */
export function isWhisperRepo(repo: string): boolean {
  return /whisper/i.test(repo);
}

/** What the `models` command needs to know about this family (structurally a ModelFamily of src/models). */
export const whisperPullFiles = {
  id: 'whisper',
  dtypes: WHISPER_DTYPES,
  defaultDtype: 'fp32' as WhisperDtype,
  matches: isWhisperRepo,
  selectFiles: selectWhisperFiles,
};
