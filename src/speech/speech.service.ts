import { Injectable } from '@nestjs/common';
import type { Pcm } from '../../plugins/sdk';
import { contentTypeFor } from '../audio/encoder';
import { AudioCache } from '../cache/audio-cache';
import { AudioService, SPEECH_SAMPLE_RATE } from '../engine/audio.service';
import { EngineService } from '../engine/engine.service';
import { SSE_HEADERS, sseFrame } from '../http/sse';
import { VoicesService } from '../voices/voices.service';
import { speechCacheKey } from './speech-cache-key';
import type { CreateSpeechDto } from './speech.dto';

export interface SpeechResponse {
  headers: Record<string, string>;
  /** Bytes (audio) or text (SSE frames), in order, as they are produced. */
  body: AsyncIterable<Uint8Array | string>;
}

/**
 * Usage for `speech.audio.done`. No tokenizer stands behind these models, so the counts are documented estimates:
 * one input token per 4 characters (OpenAI's rule of thumb), one output token per 20 ms of audio.
 */
function estimateUsage(input: string, audioSamples: number) {
  const input_tokens = Math.ceil(input.length / 4);
  const output_tokens = Math.ceil(audioSamples / (SPEECH_SAMPLE_RATE * 0.02));
  return { input_tokens, output_tokens, total_tokens: input_tokens + output_tokens };
}

@Injectable()
export class SpeechService {
  constructor(
    private readonly engine: EngineService,
    private readonly audio: AudioService,
    private readonly voices: VoicesService,
    private readonly cache: AudioCache,
  ) {}

  async create(dto: CreateSpeechDto, signal: AbortSignal): Promise<SpeechResponse> {
    const request = dto.toSpeechRequest();
    const model = this.engine.registry.resolve(dto.model, 'speech').info.id;
    const customVoice = await this.voices.forSpeech(dto.voice, model);
    if (customVoice) request.customVoice = customVoice;
    // With AUDIO_CACHE_DIR set, a repeated deterministic request is answered from disk (see speech-cache-key.ts).
    const cacheKey = this.cache.enabled ? speechCacheKey(dto, model, customVoice && this.voices.store.get(customVoice.id)) : undefined;
    const cacheHeaders: Record<string, string> = this.cache.enabled ? { 'x-cache': cacheKey ? 'miss' : 'bypass' } : {};
    const cached = cacheKey ? await this.cache.read(cacheKey) : undefined;
    if (cached) return { headers: { 'content-type': contentTypeFor(dto.format), 'x-cache': 'hit' }, body: cached };
    const { audio } = await this.engine.synthesize(request, signal);
    // Pull the first chunk before any header leaves: a bad voice or option still gets a proper 400.
    const primed = await primeFirst(audio);
    let samples = 0;
    const encoded = this.audio.encode(primed, dto.format, (count) => (samples += count));
    if (dto.stream_format === 'sse') {
      return {
        headers: { ...SSE_HEADERS, ...cacheHeaders },
        body: (async function* () {
          for await (const bytes of encoded) {
            if (bytes.length > 0) yield sseFrame({ type: 'speech.audio.delta', audio: Buffer.from(bytes).toString('base64') });
          }
          yield sseFrame({ type: 'speech.audio.done', usage: estimateUsage(request.input, samples) });
        })(),
      };
    }
    return {
      headers: { 'content-type': contentTypeFor(dto.format), ...cacheHeaders },
      // Stored only once the last byte was produced; an abandoned or failed request stores nothing.
      body: cacheKey ? this.cache.record(cacheKey, encoded) : encoded,
    };
  }
}

/** Starts an iterable and waits for its first item (or error); the result replays that item, then the rest. */
async function primeFirst(audio: AsyncIterable<Pcm>): Promise<AsyncIterable<Pcm>> {
  const iterator = audio[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        await iterator.return?.();
      }
    },
  };
}
