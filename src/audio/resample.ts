import type { Pcm } from './pcm';

/** Placeholder, replaced by the audio module's band-limited resampler. */
export function resample(pcm: Pcm, targetRate: number): Pcm {
  if (pcm.sampleRate === targetRate) return pcm;
  throw new Error('not implemented');
}
