import { Injectable } from '@nestjs/common';
import type { TranscriptionRequest, TranscriptionResult } from '../../plugins/sdk';
import { AudioService } from '../engine/audio.service';
import { EngineService } from '../engine/engine.service';
import { ApiError, toApiError } from '../http/openai-error';
import { SSE_HEADERS, sseFrame } from '../http/sse';
import { render } from './transcription.format';
import type { CreateTranscriptionDto, CreateTranslationDto, TranscriptionFormat } from './transcription.dto';

export interface UploadedAudio {
  buffer: Buffer;
  originalname?: string;
}

export interface TranscriptionResponse {
  headers: Record<string, string>;
  /** A finished body (text or JSON), or SSE frames as they are produced. */
  body: string | object | AsyncIterable<string>;
}

type Task = TranscriptionRequest['task'];

/** Both endpoints: validate the combination of fields, decode the upload, run the model, render the answer. */
@Injectable()
export class TranscriptionService {
  constructor(
    private readonly engine: EngineService,
    private readonly audio: AudioService,
  ) {}

  async transcribe(dto: CreateTranscriptionDto, file: UploadedAudio | undefined, signal: AbortSignal): Promise<TranscriptionResponse> {
    const format = dto.response_format ?? 'json';
    const granularities = dto.timestamp_granularities ?? ['segment'];
    if (dto.timestamp_granularities?.length && format !== 'verbose_json' && granularities.includes('word')) {
      throw new ApiError(
        400,
        "timestamp_granularities[]=word requires response_format 'verbose_json'.",
        'invalid_request_error',
        'timestamp_granularities',
        'unsupported_value',
      );
    }
    return this.run('transcribe', dto, file, signal, {
      language: dto.language,
      stream: dto.stream === true,
      segments: granularities.includes('segment'),
      words: granularities.includes('word') && format === 'verbose_json',
    });
  }

  translate(dto: CreateTranslationDto, file: UploadedAudio | undefined, signal: AbortSignal): Promise<TranscriptionResponse> {
    return this.run('translate', dto, file, signal, { stream: false, segments: true, words: false });
  }

  private async run(
    task: Task,
    dto: CreateTranslationDto,
    file: UploadedAudio | undefined,
    signal: AbortSignal,
    options: { language?: string; stream: boolean; segments: boolean; words: boolean },
  ): Promise<TranscriptionResponse> {
    if (!file) throw new ApiError(400, "Missing required parameter: 'file'.", 'invalid_request_error', 'file', 'missing_required_parameter');
    const format: TranscriptionFormat = dto.response_format ?? 'json';
    const needsSegments = format === 'srt' || format === 'vtt' || (format === 'verbose_json' && options.segments);
    const request: Omit<TranscriptionRequest, 'audio'> = {
      model: dto.model,
      task,
      language: options.language,
      prompt: dto.prompt,
      temperature: dto.temperature ?? 0,
      timestamps: { segment: needsSegments, word: options.words },
    };
    // Fail on model and option problems before spending time on decoding.
    this.engine.checkTranscription(request);
    const pcm = await this.audio.decode(file.buffer, signal);
    const full: TranscriptionRequest = { ...request, audio: pcm.samples };
    if (options.stream) return { headers: { ...SSE_HEADERS }, body: this.stream(full, signal) };
    const result = await this.engine.transcribe(full, signal);
    const rendered = render(result, format, { task, segments: options.segments, words: options.words });
    return { headers: { 'content-type': rendered.contentType }, body: rendered.body };
  }

  /** `transcript.text.delta` events as text is decoded, then `transcript.text.done`; a failure becomes an error event. */
  private async *stream(request: TranscriptionRequest, signal: AbortSignal): AsyncGenerator<string> {
    const pending: string[] = [];
    let wake: (() => void) | undefined;
    let settled: { result?: TranscriptionResult; error?: unknown } | undefined;
    void this.engine
      .transcribe(request, signal, {
        onText: (delta) => {
          pending.push(delta);
          wake?.();
        },
      })
      .then(
        (result) => (settled = { result }),
        (error: unknown) => (settled = { error }),
      )
      .finally(() => wake?.());
    let streamed = '';
    for (;;) {
      while (pending.length > 0) {
        const delta = pending.shift()!;
        streamed += delta;
        yield sseFrame({ type: 'transcript.text.delta', delta });
      }
      if (settled) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (settled.error !== undefined) {
      yield sseFrame(toApiError(settled.error, { method: 'POST', url: '/v1/audio/transcriptions' }).toBody());
      return;
    }
    const result = settled.result!;
    // A backend that reports no deltas still streams: the whole text arrives as one delta.
    if (streamed.length === 0 && result.text.length > 0) yield sseFrame({ type: 'transcript.text.delta', delta: result.text });
    yield sseFrame({ type: 'transcript.text.done', text: result.text, usage: tokenUsage(result) });
  }
}

/**
 * Streaming usage is in tokens (OpenAI's schema). Output tokens are the decoded tokens when the backend reports
 * them; input tokens are an estimate of the audio's tokens (Whisper's encoder: 1500 positions per 30 s window).
 */
function tokenUsage(result: TranscriptionResult) {
  const decoded = result.segments.reduce((sum, segment) => sum + segment.tokens.length, 0);
  const output_tokens = decoded > 0 ? decoded : Math.ceil(result.text.length / 4);
  const input_tokens = Math.ceil(result.duration * 50);
  return { type: 'tokens' as const, input_tokens, output_tokens, total_tokens: input_tokens + output_tokens };
}
