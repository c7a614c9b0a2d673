/**
 * Finds the two ONNX graphs of a Whisper export for the dtype the operator asked for (WHISPER_DTYPE).
 *
 * Hugging Face exports ship one file per dtype, told apart by a suffix (transformers.js' naming). Sessions are opened
 * from the file PATH, never from bytes, so onnxruntime resolves `.onnx_data` sidecars next to the `.onnx` file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const WHISPER_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16'] as const;
export type WhisperDtype = (typeof WHISPER_DTYPES)[number];

/** transformers.js' DEFAULT_DTYPE_SUFFIX_MAPPING. */
export const DTYPE_SUFFIX: Readonly<Record<WhisperDtype, string>> = {
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
const AUTO_ORDER: readonly WhisperDtype[] = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4f16', 'q4'];

export interface WhisperModelFiles {
  dtype: WhisperDtype;
  encoder: string;
  decoder: string;
}

export function parseDtype(value: string | undefined): WhisperDtype | 'auto' {
  const dtype = (value ?? 'auto').trim().toLowerCase();
  if (dtype === '' || dtype === 'auto') return 'auto';
  if ((WHISPER_DTYPES as readonly string[]).includes(dtype)) return dtype as WhisperDtype;
  throw new Error(`WHISPER_DTYPE must be auto or one of ${WHISPER_DTYPES.join(', ')}; got '${value}'.`);
}

function filesFor(modelDir: string, dtype: WhisperDtype): WhisperModelFiles {
  const suffix = DTYPE_SUFFIX[dtype];
  return {
    dtype,
    encoder: join(modelDir, 'onnx', `encoder_model${suffix}.onnx`),
    decoder: join(modelDir, 'onnx', `decoder_model_merged${suffix}.onnx`),
  };
}

/** The files for `dtype` in `modelDir`, or undefined when that export (or, for auto, any export) is not there. */
export function findModelFiles(modelDir: string, dtype: WhisperDtype | 'auto'): WhisperModelFiles | undefined {
  const candidates = dtype === 'auto' ? AUTO_ORDER : [dtype];
  for (const candidate of candidates) {
    const files = filesFor(modelDir, candidate);
    if (existsSync(files.encoder) && existsSync(files.decoder)) return files;
  }
  return undefined;
}
