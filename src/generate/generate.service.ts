import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { CustomVoice } from '../../plugins/sdk';
import { splitSentences } from '../chat/sentences';
import { UpstreamLlmClient, type UpstreamMessage } from '../chat/upstream-llm.client';
import { collectBytes, VoiceIoService } from '../chat/voice-io.service';
import { ApiError } from '../http/openai-error';
import type { GenerateRequestDto } from './generate.dto';
import { routeRequest } from './generate.routing';

/** The original's default voice and seed. */
const DEFAULT_VOICE = 'alloy';
const DEFAULT_SEED = 42;
/** The original's clone rule: at least 5 s of reference; longer clips are cut to their first 8 s. */
/** The original's text-to-text replies were short (max_tokens 300). */
const TEXT_REPLY_MAX_TOKENS = 300;
const SPOKEN_STYLE = 'Your reply will be spoken aloud: answer in a few short, plain sentences, without markdown, lists or emoji.';
const TEXT_STYLE = 'Give a short, casual reply.';
/** A voice this long (or a data: URL) is a reference clip, not a name. */
const MAX_VOICE_NAME_CHARS = 256;

export interface GenerateRequest {
  voice: string;
  /** Where the voice came from, for error messages. */
  voiceParam: string;
  systemInstruction?: string;
  text: string;
  speech?: { data: unknown; param: string };
  seed: number;
}

export type GenerateResponse =
  | { kind: 'audio'; id: string; wav: Buffer }
  | { kind: 'text'; body: { id: string; object: 'chat.completion'; choices: Array<{ index: 0; message: { role: 'assistant'; content: string }; finish_reason: 'stop' }> } };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, param: string | null): ApiError {
  return new ApiError(400, message, 'invalid_request_error', param, 'invalid_value');
}

/** The last `{type:"text"}` item of a content list (the original's rule), or a string content. */
function lastText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content.filter((item): item is { type: 'text'; text: string } => isRecord(item) && item.type === 'text' && typeof item.text === 'string');
  return texts.at(-1)?.text;
}

/** Reads the original's message layout, with its error messages (in OpenAI's envelope, naming the field). */
export function parseGenerateRequest(dto: GenerateRequestDto): GenerateRequest {
  let voice = DEFAULT_VOICE;
  let voiceParam = 'messages';
  let systemInstruction: string | undefined;
  let text: string | undefined;
  let speech: GenerateRequest['speech'];
  let sawUser = false;
  for (const [index, message] of dto.messages.entries()) {
    const param = `messages[${index}]`;
    if (message.role === 'system') {
      if ('voice' in message) {
        if (typeof message.voice !== 'string' || message.voice.trim() === '') throw invalid(`Invalid voice: '${param}.voice' must be a voice name or a base64 WAV.`, `${param}.voice`);
        voice = message.voice.trim();
        voiceParam = `${param}.voice`;
      }
      systemInstruction = lastText(message.content)?.trim() || systemInstruction;
    } else if (message.role === 'user') {
      sawUser = true;
      const content = message.content;
      if (!(Array.isArray(content) && content.length > 0) && !(typeof content === 'string' && content.trim())) {
        throw invalid("Missing or invalid 'content' in user message.", `${param}.content`);
      }
      // Later user messages overwrite earlier ones, as in the original.
      text = lastText(content);
      speech = undefined;
      if (Array.isArray(content)) {
        content.forEach((item, itemIndex) => {
          if (isRecord(item) && item.type === 'speech_audio') {
            const audio = isRecord(item.audio) ? item.audio : {};
            speech = { data: audio.data, param: `${param}.content[${itemIndex}].audio.data` };
          }
        });
      }
    }
  }
  if (!sawUser) throw invalid("Missing or invalid 'messages' in payload: no user message.", 'messages');
  if (!text?.trim()) throw invalid("Missing required 'text' in user content.", 'messages');
  return { voice, voiceParam, systemInstruction, text: text.trim(), speech, seed: dto.seed ?? DEFAULT_SEED };
}

/** The original's request id: a short hash of what was asked (it named the WAV file after it). */
function requestId(request: GenerateRequest): string {
  return createHash('sha256').update(`${request.text}${request.systemInstruction ?? ''}${request.voice}${request.seed}`).digest('hex').slice(0, 16);
}

/**
 * POST /generate: the original service's one endpoint, on this server's pipeline. Routes the request as the
 * original's router did (see generate.routing.ts), then transcribes, asks the upstream LLM and speaks as needed.
 */
@Injectable()
export class GenerateService {
  constructor(
    private readonly upstream: UpstreamLlmClient,
    private readonly voice: VoiceIoService,
  ) {}

  async generate(dto: GenerateRequestDto, signal: AbortSignal): Promise<GenerateResponse> {
    const request = parseGenerateRequest(dto);
    const id = requestId(request);
    const route = routeRequest(request.text, request.speech !== undefined);
    const speaks = route.task === 'tts' || route.task === 'sts';
    // Voice problems (a clone without a cloning model) are reported before any model or upstream time is spent.
    const voice = speaks ? await this.resolveVoice(request.voice, request.voiceParam, signal) : undefined;
    let transcript: string | undefined;
    if (request.speech) {
      const bytes = this.voice.decodeBase64(request.speech.data, request.speech.param);
      this.voice.checkTranscription(request.speech.param);
      transcript = (await this.voice.transcribe(await this.voice.decode(bytes, request.speech.param, signal), signal)).text;
    }
    if (route.task === 'stt') return this.text(id, transcript ?? '');

    let reply: string;
    if (route.direct !== undefined) reply = route.direct;
    else if (route.task === 'sts' && route.repeat) reply = transcript ?? '';
    else {
      const messages: UpstreamMessage[] = [
        { role: 'system', content: [request.systemInstruction, speaks ? SPOKEN_STYLE : TEXT_STYLE].filter(Boolean).join('\n\n') },
        { role: 'user', content: transcript === undefined ? request.text : `${request.text}\n\n[Audio transcription: ${transcript}]` },
      ];
      const sampling = { seed: request.seed, max_tokens: speaks ? undefined : TEXT_REPLY_MAX_TOKENS };
      reply = (await this.upstream.complete(messages, sampling, signal)).text.trim();
    }
    if (!speaks) return this.text(id, reply);
    if (!reply) throw new ApiError(400, 'There is nothing to speak: the audio held no words.', 'invalid_request_error', request.speech?.param ?? 'messages', 'invalid_value');
    const wav = await collectBytes(this.voice.encode(this.voice.speak(splitSentences(reply), voice!, signal, { seed: request.seed }), 'wav'));
    return { kind: 'audio', id, wav };
  }

  private text(id: string, content: string): GenerateResponse {
    return { kind: 'text', body: { id, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] } };
  }

  /**
   * A voice name goes to the speech model as is. A reference clip (base64 WAV) needs a model that clones: it becomes
   * a one-off voice under the clone rules (VOICE_MIN_SECONDS, trimmed to VOICE_MAX_SECONDS: the original's 5–8 s).
   */
  private async resolveVoice(voice: string, param: string, signal: AbortSignal): Promise<string | CustomVoice> {
    if (!voice.startsWith('data:') && voice.length <= MAX_VOICE_NAME_CHARS) return voice;
    if (!this.voice.canClone()) {
      throw new ApiError(
        400,
        'Voice cloning needs a speech model that can clone voices (such as Chatterbox) as SPEECH_MODEL_FOR_CHAT, and none is installed. Use a voice name instead: alloy, ash, ballad, cedar, coral, dan, echo, fable, ghost, marin, nova, onyx, sage, shimmer, verse.',
        'invalid_request_error',
        param,
        'voice_cloning_unavailable',
      );
    }
    return this.voice.cloneFromClip(this.voice.decodeBase64(voice, param), param, signal);
  }
}
