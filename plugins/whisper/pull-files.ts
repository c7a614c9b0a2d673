/**
 * Which files of a Whisper ONNX repo (onnx-community / Xenova layout) the server needs, for one dtype.
 *
 * transformers.js loads only two graphs, `onnx/encoder_model{suffix}.onnx` and `onnx/decoder_model_merged{suffix}.onnx`,
 * plus their external-data sidecars; the repos also ship `decoder_model*` and `decoder_with_past_model*` graphs for
 * every dtype, which would multiply the download for nothing. Pure: the `models` command hands in the repo listing.
 */
import { externalDataFiles as sidecarsOf } from '../sdk/onnx-dtypes';

/**
 * dtype → file-name suffix, as transformers.js names its exports (DEFAULT_DTYPE_SUFFIX_MAPPING). Only the dtypes
 * the Whisper plugin loads (model-files.ts): pulling weights the server cannot open would help no one.
 */
export const WHISPER_DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
} as const;

export type WhisperDtype = keyof typeof WHISPER_DTYPE_SUFFIX;

export const WHISPER_DTYPES = Object.keys(WHISPER_DTYPE_SUFFIX) as WhisperDtype[];

/** The two graphs transformers.js opens for Whisper (session_config.js, Seq2Seq). */
const GRAPHS = ['encoder_model', 'decoder_model_merged'] as const;

const REQUIRED_CONFIGS = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json'];
const OPTIONAL_CONFIGS = ['tokenizer_config.json'];

export function isWhisperDtype(value: string): value is WhisperDtype {
  return Object.prototype.hasOwnProperty.call(WHISPER_DTYPE_SUFFIX, value);
}

/** The graph file for one graph and dtype, e.g. `onnx/encoder_model_quantized.onnx`. */
export function whisperGraphPath(graph: (typeof GRAPHS)[number], dtype: WhisperDtype): string {
  return `onnx/${graph}${WHISPER_DTYPE_SUFFIX[dtype]}.onnx`;
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
