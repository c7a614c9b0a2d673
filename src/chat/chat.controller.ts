import { Body, Controller, HttpCode, Post, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Readable } from 'node:stream';
import { RequireContentType } from '../http/content-type.guard';
import { OpenAIEndpoint } from '../http/openai-endpoint.decorator';
import { RequestSignal } from '../http/request-signal.decorator';
import { RateLimited } from '../security/rate-limit.policy';
import { ChatAudioParamDto, CreateChatCompletionDto } from './chat.dto';
import { ChatCompletionDto } from './chat.responses';
import { ChatService, type ChatResponse } from './chat.service';

/** Sends a finished JSON body as is, and a stream of SSE frames as a chunked body. */
export function sendChatResponse(response: Response, { headers, body }: ChatResponse): object | StreamableFile {
  response.set(headers);
  if (!(Symbol.asyncIterator in body)) return body;
  const file = new StreamableFile(Readable.from(body as AsyncIterable<string>));
  file.setErrorHandler(() => response.destroy());
  return file;
}

@ApiTags('Chat')
@ApiExtraModels(ChatAudioParamDto)
// It speaks (and calls the upstream LLM): counted with speech.
@RateLimited('speech')
@Controller('v1/chat')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post('completions')
  @HttpCode(200)
  @UseGuards(RequireContentType('application/json'))
  @OpenAIEndpoint(
    'Create chat completion (with audio)',
    'Speech-to-speech in OpenAI\'s chat-completions audio shape: `input_audio` parts are transcribed, the reply is written by the upstream LLM (UPSTREAM_LLM_URL) — or is the user\'s own text with `verbatim: true` or a "say verbatim:" prefix — and spoken with SPEECH_MODEL_FOR_CHAT when `modalities` include `audio`. Upstream failures answer 502 (504 on timeout).',
    [400, 404, 413, 415, 502, 504],
  )
  @ApiBody({ type: CreateChatCompletionDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'A chat.completion, or chat.completion.chunk events when stream=true.', type: ChatCompletionDto })
  async create(
    @Body() dto: CreateChatCompletionDto,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<object | StreamableFile> {
    return sendChatResponse(response, await this.chat.create(dto, signal));
  }
}
