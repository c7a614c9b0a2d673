import { Injectable } from '@nestjs/common';
import type { Pcm } from '../../plugins/sdk';
import { contentTypeFor } from '../audio/encoder';
import { AudioService, SPEECH_SAMPLE_RATE } from '../engine/audio.service';
import { EngineService } from '../engine/engine.service';
import { SSE_HEADERS, sseFrame } from '../http/sse';
import { VoicesService } from '../voices/voices.service';
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
  ) {}

  async create(dto: CreateSpeechDto, signal: AbortSignal): Promise<SpeechResponse> {
    const request = dto.toSpeechRequest();
    const customVoice = await this.voices.forSpeech(dto.voice, this.engine.registry.resolve(dto.model, 'speech').info.id);
    if (customVoice) request.customVoice = customVoice;
    const { audio } = await this.engine.synthesize(request, signal);
    // Pull the first chunk before any header leaves: a bad voice or option still gets a proper 400.
    const primed = await primeFirst(audio);
    let samples = 0;
    const encoded = this.audio.encode(primed, dto.format, (count) => (samples += count));
    if (dto.stream_format === 'sse') {
      return {
        headers: { ...SSE_HEADERS },
        body: (async function* () {
          for await (const bytes of encoded) {
            if (bytes.length > 0) yield sseFrame({ type: 'speech.audio.delta', audio: Buffer.from(bytes).toString('base64') });
          }
          yield sseFrame({ type: 'speech.audio.done', usage: estimateUsage(request.input, samples) });
        })(),
      };
    }
    return { headers: { 'content-type': contentTypeFor(dto.format) }, body: encoded };
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
