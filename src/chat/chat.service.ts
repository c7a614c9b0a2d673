import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { OutputFormat } from '../audio/encoder';
import { SPEECH_SAMPLE_RATE } from '../engine/audio.service';
import { AsyncQueue } from '../engine/async-queue';
import { ApiError, toApiError } from '../http/openai-error';
import { AudioTranscriptMemory } from './audio-memory';
import { SSE_HEADERS, sseFrame } from '../http/sse';
import type { ChatAudioFormat, CreateChatCompletionDto } from './chat.dto';
import { SentenceSplitter, splitSentences } from './sentences';
import { UpstreamLlmClient, type UpstreamMessage, type UpstreamUsage } from './upstream-llm.client';
import { collectBytes, VoiceIoService } from './voice-io.service';

export interface ChatResponse {
  headers: Record<string, string>;
  /** A finished JSON body, or SSE frames as they are produced. */
  body: object | AsyncIterable<string>;
}

/** The conversation as the upstream will see it, with what usage needs to know about the input. */
export interface Conversation {
  messages: UpstreamMessage[];
  /** Text of the last user message (audio parts transcribed), for verbatim mode. */
  lastUserText: string;
  /** Seconds of input audio that were transcribed. */
  audioSeconds: number;
}

/** An `input_audio` part, decoded from base64, waiting to be transcribed. */
interface AudioPart {
  bytes: Uint8Array;
  param: string;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
/** The workaround Pollinations' maintainers gave for `openai-audio` answering instead of reading (issue #4998). */
const VERBATIM_PREFIX = /^\s*say verbatim\s*:\s*/i;
/**
 * No tokenizer stands behind these counts: text is estimated at 4 characters a token (upstream counts are used when
 * the upstream reports them) and audio at 10 tokens a second (OpenAI's audio models bill about 600 a minute).
 */
const AUDIO_TOKENS_PER_SECOND = 10;

const OUTPUT_FORMAT: Record<ChatAudioFormat, OutputFormat> = { wav: 'wav', mp3: 'mp3', flac: 'flac', opus: 'opus', aac: 'aac', pcm16: 'pcm' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function audioTokens(seconds: number): number {
  return Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND);
}

/** `say verbatim: "Hello"` → `Hello` (case kept: the original lower-cased it). */
export function verbatimText(text: string): string | undefined {
  if (!VERBATIM_PREFIX.test(text)) return undefined;
  const rest = text.replace(VERBATIM_PREFIX, '').trim();
  const quoted = /^(["'“‘])([\s\S]*)(["'”’])$/.exec(rest);
  return quoted ? quoted[2].trim() : rest;
}

function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/**
 * Chat completions with audio in and out (speech-to-speech): audio parts are transcribed, the reply is written by
 * the upstream LLM (or is the user's own text in verbatim mode), and spoken by SPEECH_MODEL_FOR_CHAT.
 */
@Injectable()
export class ChatService {
  constructor(
    private readonly upstream: UpstreamLlmClient,
    private readonly voice: VoiceIoService,
  ) {}

  private readonly spoken = new AudioTranscriptMemory();

  async create(dto: CreateChatCompletionDto, signal: AbortSignal): Promise<ChatResponse> {
    this.checkAudioOptions(dto);
    const conversation = await this.prepare(dto.messages, signal);
    const verbatim = dto.verbatim ? conversation.lastUserText.trim() : verbatimText(conversation.lastUserText);
    if (verbatim !== undefined && verbatim.length === 0) {
      throw new ApiError(400, 'Verbatim mode needs text to speak in the last user message.', 'invalid_request_error', 'messages', 'invalid_value');
    }
    return dto.stream ? this.stream(dto, conversation, verbatim, signal) : this.complete(dto, conversation, verbatim, signal);
  }

  private checkAudioOptions(dto: CreateChatCompletionDto): void {
    if (dto.wantsAudio && !dto.audio) {
      throw new ApiError(400, "Missing required parameter: 'audio' (voice and format) when modalities include 'audio'.", 'invalid_request_error', 'audio', 'missing_required_parameter');
    }
    if (dto.wantsAudio && dto.stream && dto.audio!.format !== 'pcm16') {
      throw new ApiError(400, "Streamed audio is only available as audio.format 'pcm16'.", 'invalid_request_error', 'audio.format', 'unsupported_value');
    }
  }

  /**
   * Validates every message first (cheap), then transcribes the `input_audio` parts (costly) and turns each message
   * into plain text for the upstream.
   */
  async prepare(raw: Array<Record<string, unknown>>, signal: AbortSignal): Promise<Conversation> {
    const parsed = raw.map((message, index) => this.parseMessage(message, `messages[${index}]`));
    const audioParts = parsed.flatMap((message) => message.parts.filter((part): part is AudioPart => typeof part !== 'string'));
    if (audioParts.length > 0) this.voice.checkTranscription(audioParts[0].param);
    let audioSeconds = 0;
    const messages: UpstreamMessage[] = [];
    let lastUserText = '';
    for (const { role, name, parts } of parsed) {
      const texts: string[] = [];
      for (const part of parts) {
        if (typeof part === 'string') {
          texts.push(part);
          continue;
        }
        const heard = await this.voice.transcribe(await this.voice.decode(part.bytes, part.param, signal), signal);
        audioSeconds += heard.seconds;
        texts.push(heard.text);
      }
      const content = texts.join('\n');
      if (role === 'user') lastUserText = content;
      messages.push(name === undefined ? { role, content } : { role, content, name });
    }
    return { messages, lastUserText, audioSeconds };
  }

  /** One message's role, name and parts: text, or audio still to transcribe. */
  private parseMessage(message: Record<string, unknown>, param: string): { role: string; name?: string; parts: Array<string | AudioPart> } {
    const role = message.role;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new ApiError(400, `Invalid value for '${param}.role': expected one of ${[...ROLES].join(', ')}.`, 'invalid_request_error', `${param}.role`, 'invalid_value');
    }
    const name = typeof message.name === 'string' ? message.name : undefined;
    const content = message.content;
    if (typeof content === 'string') return { role, name, parts: [content] };
    if (Array.isArray(content)) {
      const parts = content.map((part: unknown, index): string | AudioPart => {
        const partParam = `${param}.content[${index}]`;
        if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
        if (isRecord(part) && part.type === 'input_audio' && isRecord(part.input_audio)) {
          const dataParam = `${partParam}.input_audio.data`;
          return { bytes: this.voice.decodeBase64(part.input_audio.data, dataParam), param: dataParam };
        }
        throw new ApiError(
          400,
          `Invalid content part '${partParam}': expected {type:"text", text} or {type:"input_audio", input_audio:{data, format}}.`,
          'invalid_request_error',
          `${partParam}.type`,
          'invalid_value',
        );
      });
      return { role, name, parts };
    }
    if (role === 'assistant' && isRecord(message.audio) && typeof message.audio.id === 'string') {
      // An earlier spoken reply sent back by id: the upstream gets its words.
      const transcript = this.spoken.recall(message.audio.id);
      if (transcript === undefined) {
        throw new ApiError(
          400,
          `Audio '${message.audio.id}' is unknown or has expired (audio ids are kept for an hour by the server that made them); send its transcript as content instead.`,
          'invalid_request_error',
          `${param}.audio.id`,
          'invalid_value',
        );
      }
      return { role, name, parts: [transcript] };
    }
    if (content !== undefined && content !== null) {
      throw new ApiError(400, `Invalid type for '${param}.content': expected a string or an array of parts.`, 'invalid_request_error', `${param}.content`, 'invalid_type');
    }
    if (role === 'user') {
      throw new ApiError(400, `Missing required parameter: '${param}.content'.`, 'invalid_request_error', `${param}.content`, 'missing_required_parameter');
    }
    return { role, name, parts: [] };
  }

  private usage(conversation: Conversation, reply: string, upstream: UpstreamUsage | undefined, outputSeconds: number | undefined) {
    const promptAudio = audioTokens(conversation.audioSeconds);
    const promptText = upstream?.prompt_tokens ?? textTokens(conversation.messages.map((message) => message.content).join('\n'));
    const completionAudio = outputSeconds === undefined ? 0 : audioTokens(outputSeconds);
    const completionText = upstream?.completion_tokens ?? textTokens(reply);
    const prompt_tokens = promptText + promptAudio;
    const completion_tokens = completionText + completionAudio;
    return {
      prompt_tokens,
      completion_tokens,
      total_tokens: prompt_tokens + completion_tokens,
      prompt_tokens_details: { audio_tokens: promptAudio, cached_tokens: 0 },
      completion_tokens_details: { audio_tokens: completionAudio, reasoning_tokens: 0 },
    };
  }

  private async complete(dto: CreateChatCompletionDto, conversation: Conversation, verbatim: string | undefined, signal: AbortSignal): Promise<ChatResponse> {
    const reply = verbatim !== undefined ? { text: verbatim, usage: undefined } : await this.upstream.complete(conversation.messages, dto.sampling, signal);
    const base = { id: newId('chatcmpl-'), object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: dto.model };
    if (!dto.wantsAudio) {
      return {
        headers: { 'content-type': 'application/json' },
        body: {
          ...base,
          choices: [{ index: 0, message: { role: 'assistant', content: reply.text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: this.usage(conversation, reply.text, reply.usage, undefined),
        },
      };
    }
    let samples = 0;
    const audio = await collectBytes(
      this.voice.encode(this.voice.speak(splitSentences(reply.text), voiceId(dto), signal), OUTPUT_FORMAT[dto.audio!.format], (count) => (samples += count)),
    );
    const audioId = newId('audio_');
    const message = {
      role: 'assistant',
      content: null,
      refusal: null,
      audio: { id: audioId, data: audio.toString('base64'), expires_at: this.spoken.remember(audioId, reply.text), transcript: reply.text },
    };
    return {
      headers: { 'content-type': 'application/json' },
      body: {
        ...base,
        choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
        usage: this.usage(conversation, reply.text, reply.usage, samples / SPEECH_SAMPLE_RATE),
      },
    };
  }

  private async stream(dto: CreateChatCompletionDto, conversation: Conversation, verbatim: string | undefined, signal: AbortSignal): Promise<ChatResponse> {
    const upstream = verbatim !== undefined ? undefined : await this.upstream.stream(conversation.messages, dto.sampling, signal);
    const deltas = new AsyncQueue<string>();
    if (upstream) {
      // Read the upstream as fast as it writes, whatever speech is doing: its deadline is about the upstream alone.
      const iterator = upstream[Symbol.asyncIterator]();
      // The first delta (or failure) before any header: an upstream that fails at once gets a proper error status.
      const first = await iterator.next();
      if (!first.done) deltas.push(first.value);
      void (async () => {
        try {
          if (!first.done) for (let next = await iterator.next(); !next.done; next = await iterator.next()) deltas.push(next.value);
          deltas.end();
        } catch (error) {
          deltas.fail(error);
        }
      })();
    } else {
      deltas.push(verbatim!);
      deltas.end();
    }
    return { headers: { ...SSE_HEADERS }, body: this.chunks(dto, conversation, deltas, () => upstream?.usage, signal) };
  }

  private async *chunks(
    dto: CreateChatCompletionDto,
    conversation: Conversation,
    deltas: AsyncIterable<string>,
    upstreamUsage: () => UpstreamUsage | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<string> {
    const base = { id: newId('chatcmpl-'), object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: dto.model };
    const frame = (delta: object, finish_reason: string | null = null) => sseFrame({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason }] });
    const audioId = newId('audio_');
    const voice = dto.wantsAudio ? voiceId(dto) : '';
    const splitter = new SentenceSplitter();
    let samples = 0;
    let text = '';
    const spoken = async function* (this: ChatService, pieces: string[]): AsyncGenerator<string> {
      const pcm = this.voice.encode(this.voice.speak(pieces, voice, signal), 'pcm', (count) => (samples += count));
      for await (const bytes of pcm) if (bytes.length > 0) yield frame({ audio: { id: audioId, data: Buffer.from(bytes).toString('base64') } });
    }.bind(this);
    try {
      yield frame({ role: 'assistant', content: dto.wantsAudio ? null : '', refusal: null });
      for await (const delta of deltas) {
        text += delta;
        if (!dto.wantsAudio) {
          yield frame({ content: delta });
          continue;
        }
        yield frame({ audio: { id: audioId, transcript: delta } });
        yield* spoken(splitter.push(delta));
      }
      if (dto.wantsAudio) {
        yield* spoken(splitter.flush());
        yield frame({ audio: { id: audioId, expires_at: this.spoken.remember(audioId, text) } });
      }
      yield frame({}, 'stop');
      if (dto.stream_options?.include_usage) {
        const usage = this.usage(conversation, text, upstreamUsage(), dto.wantsAudio ? samples / SPEECH_SAMPLE_RATE : undefined);
        yield sseFrame({ ...base, choices: [], usage });
      }
      yield 'data: [DONE]\n\n';
    } catch (error) {
      // Headers are gone: the failure travels as an error event, which the SDKs raise as an APIError.
      yield sseFrame(toApiError(error, { method: 'POST', url: '/v1/chat/completions' }).toBody());
    }
  }
}

function voiceId(dto: CreateChatCompletionDto): string {
  const voice = dto.audio!.voice;
  return typeof voice === 'string' ? voice : voice.id;
}
