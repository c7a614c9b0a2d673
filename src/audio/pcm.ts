/** Mono audio: samples in [-1, 1] at `sampleRate` Hz. The value type every audio function takes and returns. */
export interface Pcm {
  samples: Float32Array;
  sampleRate: number;
}

export function durationSeconds(pcm: Pcm): number {
  return pcm.samples.length / pcm.sampleRate;
}
