import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiError } from '../http/openai-error';

/** A message as the upstream receives it: text only (audio has been transcribed by then). */
export interface UpstreamMessage {
  role: string;
  content: string;
  name?: string;
}

/** Sampling fields passed through to the upstream as the client sent them. */
export const UPSTREAM_SAMPLING_FIELDS = ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'seed', 'stop', 'presence_penalty', 'frequency_penalty', 'user'] as const;
export type UpstreamSampling = Partial<Record<(typeof UPSTREAM_SAMPLING_FIELDS)[number], unknown>>;

export interface UpstreamUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface UpstreamReply {
  text: string;
  usage?: UpstreamUsage;
}

/** Text deltas of a streamed reply; `usage` is known once the stream has ended (if the upstream reports it). */
export interface UpstreamStream extends AsyncIterable<string> {
  readonly usage: UpstreamUsage | undefined;
}

/** Error bodies and stray HTML can be large: only this much of one is read into a message. */
const MAX_ERROR_CHARS = 300;

function chatCompletionsUrl(configured: string): string {
  const url = new URL(configured);
  if (!/\/chat\/completions\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/$/, '')}/chat/completions`;
  return url.toString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function usageOf(value: unknown): UpstreamUsage | undefined {
  if (!isRecord(value) || typeof value.prompt_tokens !== 'number' || typeof value.completion_tokens !== 'number') return undefined;
  return { prompt_tokens: value.prompt_tokens, completion_tokens: value.completion_tokens };
}

/**
 * The OpenAI-compatible chat API that writes replies (Pollinations' text API by default). Every failure becomes a
 * 502 (or 504 on timeout) whose message names the upstream, so a client can tell our faults from the upstream's; the
 * timeout covers the whole call, a streamed body included, so nothing waits forever on a silent upstream.
 */
@Injectable()
export class UpstreamLlmClient {
  private readonly url: string;
  /** The upstream as named in error messages: origin and path, never the key. */
  readonly name: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.url = chatCompletionsUrl(config.UPSTREAM_LLM_URL);
    const parsed = new URL(this.url);
    this.name = `${parsed.origin}${parsed.pathname}`;
  }

  async complete(messages: UpstreamMessage[], sampling: UpstreamSampling, signal: AbortSignal): Promise<UpstreamReply> {
    const call = this.deadline(signal);
    try {
      const response = await this.post(messages, sampling, false, call.signal);
      const body = await this.readJson(response, call.signal);
      return this.replyOf(body);
    } catch (error) {
      throw this.failure(error, call, signal);
    } finally {
      call.clear();
    }
  }

  /**
   * Starts a streamed reply. The HTTP status is checked before this resolves, so a refused call fails here, before
   * the client's own stream has begun.
   */
  async stream(messages: UpstreamMessage[], sampling: UpstreamSampling, signal: AbortSignal): Promise<UpstreamStream> {
    const call = this.deadline(signal);
    let response: Response;
    try {
      response = await this.post(messages, sampling, true, call.signal);
    } catch (error) {
      call.clear();
      throw this.failure(error, call, signal);
    }
    let usage: UpstreamUsage | undefined;
    const iterable = this.deltas(response, call, signal, (reported) => (usage = reported ?? usage));
    return {
      [Symbol.asyncIterator]: () => iterable,
      get usage() {
        return usage;
      },
    };
  }

  private async *deltas(
    response: Response,
    call: { signal: AbortSignal; clear: () => void; timedOut: () => boolean },
    clientSignal: AbortSignal,
    onUsage: (usage: UpstreamUsage | undefined) => void,
  ): AsyncGenerator<string> {
    try {
      // An upstream that ignores `stream` answers one JSON body: serve it as a single delta.
      if (!(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream')) {
        const reply = this.replyOf(await this.readJson(response, call.signal));
        onUsage(reply.usage);
        if (reply.text) yield reply.text;
        return;
      }
      for await (const data of serverSentData(response.body!, call.signal)) {
        if (data === '[DONE]') return;
        const chunk = this.parse(data);
        if (isRecord(chunk.error)) throw this.malformed(`streamed an error: ${String(chunk.error.message ?? '').slice(0, MAX_ERROR_CHARS)}`);
        onUsage(usageOf(chunk.usage));
        const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
        const content = isRecord(choice) && isRecord(choice.delta) ? choice.delta.content : undefined;
        if (typeof content === 'string' && content.length > 0) yield content;
      }
      throw this.malformed('ended its stream without [DONE]');
    } catch (error) {
      throw this.failure(error, call, clientSignal);
    } finally {
      call.clear();
    }
  }

  private post(messages: UpstreamMessage[], sampling: UpstreamSampling, stream: boolean, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
    if (this.config.UPSTREAM_LLM_API_KEY) headers.authorization = `Bearer ${this.config.UPSTREAM_LLM_API_KEY}`;
    const body: Record<string, unknown> = { model: this.config.UPSTREAM_LLM_MODEL, messages, stream };
    for (const [key, value] of Object.entries(sampling)) if (value !== undefined) body[key] = value;
    if (stream) body.stream_options = { include_usage: true };
    return fetch(this.url, { method: 'POST', headers, body: JSON.stringify(body), signal }).then(async (response) => {
      if (response.ok) return response;
      const text = await response.text().catch(() => '');
      throw new ApiError(
        502,
        `The upstream LLM (${this.name}) answered ${response.status}${upstreamMessage(text)}.`,
        'server_error',
        null,
        response.status === 401 || response.status === 403 ? 'upstream_unauthorized' : response.status === 429 ? 'upstream_rate_limited' : 'upstream_error',
      );
    });
  }

  private async readJson(response: Response, signal: AbortSignal): Promise<Record<string, unknown>> {
    signal.throwIfAborted();
    return this.parse(await response.text());
  }

  private parse(text: string): Record<string, unknown> {
    try {
      const value: unknown = JSON.parse(text);
      if (isRecord(value)) return value;
    } catch {
      // reported below
    }
    throw this.malformed(`sent something that is not a JSON object: ${JSON.stringify(text.slice(0, 80))}`);
  }

  private replyOf(body: Record<string, unknown>): UpstreamReply {
    const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
    const content = isRecord(choice) && isRecord(choice.message) ? choice.message.content : undefined;
    if (typeof content !== 'string') throw this.malformed('answered without choices[0].message.content');
    return { text: content, usage: usageOf(body.usage) };
  }

  private malformed(what: string): ApiError {
    return new ApiError(502, `The upstream LLM (${this.name}) ${what}.`, 'server_error', null, 'upstream_malformed_response');
  }

  /** Our own abort (the client left) passes through; the deadline becomes 504; anything else 502. */
  private failure(error: unknown, call: { timedOut: () => boolean }, clientSignal: AbortSignal): unknown {
    if (error instanceof ApiError) return error;
    if (clientSignal.aborted) return error;
    if (call.timedOut()) {
      return new ApiError(504, `The upstream LLM (${this.name}) did not answer within ${this.config.UPSTREAM_LLM_TIMEOUT_MS} ms.`, 'server_error', null, 'upstream_timeout');
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    return new ApiError(502, `The upstream LLM (${this.name}) could not be reached: ${reason}.`, 'server_error', null, 'upstream_unreachable');
  }

  private deadline(signal: AbortSignal): { signal: AbortSignal; clear: () => void; timedOut: () => boolean } {
    const timer = new AbortController();
    let timedOut = false;
    const handle = setTimeout(() => {
      timedOut = true;
      timer.abort(new Error('upstream timeout'));
    }, this.config.UPSTREAM_LLM_TIMEOUT_MS);
    // A stream the client never reads must not keep the process alive.
    handle.unref();
    return { signal: AbortSignal.any([signal, timer.signal]), clear: () => clearTimeout(handle), timedOut: () => timedOut };
  }
}

/** `: <message>` from an OpenAI-style (or Pollinations-style) error body, or its first characters. */
function upstreamMessage(text: string): string {
  let message: unknown;
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body)) message = isRecord(body.error) ? body.error.message : (body.error ?? body.message);
  } catch {
    message = text;
  }
  const trimmed = typeof message === 'string' ? message.trim().slice(0, MAX_ERROR_CHARS) : '';
  return trimmed ? `: ${trimmed}` : '';
}

/** The `data:` payloads of a server-sent event stream, one per event. */
async function* serverSentData(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      signal.throwIfAborted();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: RegExpExecArray | null;
      while ((end = /\r?\n\r?\n/.exec(buffer))) {
        const event = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end[0].length);
        const data = event
          .split(/\r?\n/)
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) yield data;
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}
