import { Body, Controller, HttpCode, Post, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Readable } from 'node:stream';
import { RequireContentType } from '../http/content-type.guard';
import { OpenAIEndpoint } from '../http/openai-endpoint.decorator';
import { RequestSignal } from '../http/request-signal.decorator';
import { RateLimited } from '../security/rate-limit.policy';
import { CreateSpeechDto, CustomVoiceDto } from './speech.dto';
import { SpeechService } from './speech.service';

@ApiTags('Audio')
@ApiExtraModels(CustomVoiceDto)
@RateLimited('speech')
@Controller('v1/audio')
export class SpeechController {
  constructor(private readonly speech: SpeechService) {}

  @Post('speech')
  @HttpCode(200)
  @UseGuards(RequireContentType('application/json'))
  @OpenAIEndpoint('Create speech', 'Generates audio from text. The audio is streamed (chunked) as it is produced.', [400, 404, 413, 415])
  @ApiBody({ type: CreateSpeechDto })
  @ApiProduces('audio/mpeg', 'audio/ogg', 'audio/aac', 'audio/flac', 'audio/wav', 'audio/pcm', 'text/event-stream')
  @ApiResponse({ status: 200, description: 'The audio file, or server-sent events when stream_format=sse.', schema: { type: 'string', format: 'binary' } })
  async create(
    @Body() dto: CreateSpeechDto,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const { headers, body } = await this.speech.create(dto, signal);
    response.set(headers);
    const file = new StreamableFile(Readable.from(body, { objectMode: false }));
    // Errors after the first byte cannot change the status: end the connection so the client sees a broken
    // transfer instead of a silently truncated file.
    file.setErrorHandler(() => response.destroy());
    return file;
  }
}
