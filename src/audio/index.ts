/**
 * The audio layer's public surface, free of NestJS (it also runs inside worker threads and is re-exported to plugins).
 * Importing this does not start anything: pools and wasm instances are created on first use.
 */
export { durationSeconds, type Pcm } from './pcm';
export { createResampler, resample, type StreamResampler } from './resample';
export {
  detectInputFormat,
  identifyUnsupportedFormat,
  SUPPORTED_INPUT_FORMATS,
  type InputContainer,
  type SupportedInputFormat,
} from './formats';
export { AudioDecodeTimeoutError, AudioInputError, type AudioErrorCode } from './errors';
export { AudioDecoder, type AudioDecoderOptions, type DecodeOptions } from './decoder';
export {
  concatBytes,
  configureAacEncoder,
  contentTypeFor,
  createEncoder,
  encodeAll,
  isOutputFormat,
  OUTPUT_FORMATS,
  shutdownAacEncoder,
  type OutputFormat,
  type StreamEncoder,
} from './encoder';
export { floatToInt16, floatToS16leBytes, s16leBytesToFloat } from './pcm16';
