/**
 * Hugging Face ONNX exports ship one file per dtype, told apart by a suffix (transformers.js' naming). Shared by the
 * plugins that pick export files by a *_DTYPE setting.
 */

export const ONNX_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16'] as const;
export type OnnxDtype = (typeof ONNX_DTYPES)[number];

/** transformers.js' DEFAULT_DTYPE_SUFFIX_MAPPING. */
export const DTYPE_SUFFIX: Readonly<Record<OnnxDtype, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
};

/**
 * `auto` tries the most accurate first: full precision is the reference and runs well on CPU and GPU; fp16 halves
 * memory; the quantized files come last because they cost accuracy.
 */
export const AUTO_DTYPE_ORDER: readonly OnnxDtype[] = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4f16', 'q4'];

/** A *_DTYPE setting's value; `setting` names it in the error. */
export function parseOnnxDtype(value: string | undefined, setting: string): OnnxDtype | 'auto' {
  const dtype = (value ?? 'auto').trim().toLowerCase();
  if (dtype === '' || dtype === 'auto') return 'auto';
  if ((ONNX_DTYPES as readonly string[]).includes(dtype)) return dtype as OnnxDtype;
  throw new Error(`${setting} must be auto or one of ${ONNX_DTYPES.join(', ')}; got '${value}'.`);
}

/** `x.onnx` → its external-data files `x.onnx_data`, `x.onnx_data_1`, … present in `repoFiles`, in chunk order. */
export function externalDataFiles(graph: string, repoFiles: readonly string[]): string[] {
  const base = `${graph}_data`;
  const chunkIndex = (file: string): number | undefined => {
    if (file === base) return 0;
    if (!file.startsWith(`${base}_`)) return undefined;
    const digits = file.slice(base.length + 1);
    return /^\d+$/.test(digits) ? Number(digits) : undefined;
  };
  return repoFiles
    .map((file) => ({ file, index: chunkIndex(file) }))
    .filter((entry): entry is { file: string; index: number } => entry.index !== undefined)
    .sort((a, b) => a.index - b.index)
    .map((entry) => entry.file);
}
