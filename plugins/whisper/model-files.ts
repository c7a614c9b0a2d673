/**
 * Finds the two ONNX graphs of a Whisper export for the dtype the operator asked for (WHISPER_DTYPE).
 *
 * Hugging Face exports ship one file per dtype, told apart by a suffix (transformers.js' naming). Sessions are opened
 * from the file PATH, never from bytes, so onnxruntime resolves `.onnx_data` sidecars next to the `.onnx` file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AUTO_DTYPE_ORDER, DTYPE_SUFFIX, ONNX_DTYPES, parseOnnxDtype, type OnnxDtype } from '../sdk/onnx-dtypes';

export const WHISPER_DTYPES = ONNX_DTYPES;
export type WhisperDtype = OnnxDtype;
export { DTYPE_SUFFIX };

export interface WhisperModelFiles {
  dtype: WhisperDtype;
  encoder: string;
  decoder: string;
}

export function parseDtype(value: string | undefined): WhisperDtype | 'auto' {
  return parseOnnxDtype(value, 'WHISPER_DTYPE');
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
  const candidates = dtype === 'auto' ? AUTO_DTYPE_ORDER : [dtype];
  for (const candidate of candidates) {
    const files = filesFor(modelDir, candidate);
    if (existsSync(files.encoder) && existsSync(files.decoder)) return files;
  }
  return undefined;
}
