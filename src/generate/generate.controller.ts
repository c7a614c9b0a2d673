import { Body, Controller, HttpCode, Post, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequireContentType } from '../http/content-type.guard';
import { OpenAIEndpoint } from '../http/openai-endpoint.decorator';
import { RequestSignal } from '../http/request-signal.decorator';
import { RateLimited } from '../security/rate-limit.policy';
import { GenerateRequestDto } from './generate.dto';
import { GenerateService } from './generate.service';

const TEXT_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    object: { type: 'string', enum: ['chat.completion'] },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          message: { type: 'object', properties: { role: { type: 'string', enum: ['assistant'] }, content: { type: 'string' } } },
          finish_reason: { type: 'string', enum: ['stop'] },
        },
      },
    },
  },
};

@ApiTags('Original Audio Pollinations')
// It speaks (and calls the upstream LLM): counted with speech.
@RateLimited('speech')
@Controller()
export class GenerateController {
  constructor(private readonly generator: GenerateService) {}

  @Post('generate')
  @HttpCode(200)
  @UseGuards(RequireContentType('application/json'))
  @OpenAIEndpoint(
    'Generate (original Audio Pollinations API)',
    'The original service\'s one endpoint, for its existing clients. Text in → spoken reply (WAV); `say verbatim:` (or "say exactly:", "read this aloud:") → the text itself spoken; speech_audio in → spoken reply to it; asking for a transcript or a text answer → chat-completion-like JSON. Replies come from the upstream LLM (UPSTREAM_LLM_URL); speech input up to MAX_AUDIO_SECONDS (90 s).',
    [400, 404, 413, 415, 502, 504],
  )
  @ApiBody({ type: GenerateRequestDto })
  @ApiProduces('audio/wav', 'application/json')
  @ApiOkResponse({
    description: 'A WAV (24 kHz mono 16-bit, `Content-Disposition: inline; filename=<id>.wav`), or for text results `{id, object:"chat.completion", choices:[{message:{role, content}}]}`.',
    content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } }, 'application/json': { schema: TEXT_RESPONSE_SCHEMA } },
  })
  async generate(
    @Body() dto: GenerateRequestDto,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile | object> {
    const result = await this.generator.generate(dto, signal);
    if (result.kind === 'text') return result.body;
    response.set({ 'content-type': 'audio/wav', 'content-disposition': `inline; filename=${result.id}.wav` });
    return new StreamableFile(result.wav, { length: result.wav.length });
  }
}
