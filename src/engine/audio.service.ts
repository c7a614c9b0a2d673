import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AudioDecoder } from '../audio/decoder';
import { createEncoder, type OutputFormat } from '../audio/encoder';
import type { Pcm } from '../audio/pcm';
import { createResampler } from '../audio/resample';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** OpenAI's speech output rate: every format, pcm included, is 24 kHz mono. */
export const SPEECH_SAMPLE_RATE = 24_000;

/** Decoding of uploads (in worker threads, bounded in time and length) and streamed encoding of speech. */
@Injectable()
export class AudioService implements OnApplicationShutdown {
  private readonly decoder: AudioDecoder;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.decoder = new AudioDecoder({
      maxSeconds: config.MAX_AUDIO_SECONDS,
      timeoutMs: config.DECODE_TIMEOUT_MS,
      threads: config.DECODE_WORKERS,
      // The same bound as the inference queue: uploads waiting for a decoder each hold their bytes in memory.
      maxQueue: config.MAX_QUEUE,
    });
  }

  /** Any supported upload → 16 kHz mono. Throws AudioInputError for bad input. */
  decode(bytes: Uint8Array, signal: AbortSignal): Promise<Pcm> {
    return this.decodeAt(bytes, 16_000, signal);
  }

  /** Any supported upload → mono at `sampleRate` (e.g. 24 kHz for voice reference clips). */
  decodeAt(bytes: Uint8Array, sampleRate: number, signal: AbortSignal): Promise<Pcm> {
    return this.decoder.decode(bytes, { sampleRate, signal });
  }

  /**
   * Resamples and encodes audio as it arrives: each yielded buffer can go to the client at once.
   * `onAudio` sees each 24 kHz piece (for duration accounting).
   */
  async *encode(audio: AsyncIterable<Pcm>, format: OutputFormat, onAudio?: (samples: number) => void): AsyncGenerator<Uint8Array> {
    const encoder = await createEncoder(format, SPEECH_SAMPLE_RATE);
    let resampler: ReturnType<typeof createResampler> | undefined;
    let inputRate = 0;
    const emit = function* (samples: Float32Array) {
      onAudio?.(samples.length);
      yield* encoder.encode(samples);
    };
    for await (const chunk of audio) {
      if (chunk.sampleRate !== inputRate) {
        if (resampler) yield* emit(resampler.flush());
        resampler = createResampler(chunk.sampleRate, SPEECH_SAMPLE_RATE);
        inputRate = chunk.sampleRate;
      }
      yield* emit(resampler!.push(chunk.samples));
    }
    if (resampler) yield* emit(resampler.flush());
    yield* encoder.finish();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.decoder.close();
  }
}
