import { createResampler } from './resample';
import type { StreamEncoder } from './stream-encoder';

/**
 * Puts a streaming resampler in front of an encoder whose codec cannot take the caller's rate (e.g. opus at 22050).
 * The resampler's state spans pushes, so joins stay seamless.
 */
export function withResampling(inner: StreamEncoder, inputRate: number): StreamEncoder {
  if (inputRate === inner.sampleRate) return inner;
  const resampler = createResampler(inputRate, inner.sampleRate);
  return {
    format: inner.format,
    contentType: inner.contentType,
    inputRate,
    sampleRate: inner.sampleRate,
    encode: (samples) => inner.encode(resampler.push(samples)),
    finish: () => [...inner.encode(resampler.flush()), ...inner.finish()],
    close: () => inner.close(),
  };
}
