import { Body, Controller, HttpCode, Post, Res, StreamableFile, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { Readable } from 'node:stream';
import { RequireContentType } from '../http/content-type.guard';
import { OpenAIEndpoint } from '../http/openai-endpoint.decorator';
import { RequestSignal } from '../http/request-signal.decorator';
import { RateLimited } from '../security/rate-limit.policy';
import { CreateTranscriptionDto, CreateTranslationDto } from './transcription.dto';
import { TranscriptionJsonDto, TranscriptionVerboseJsonDto } from './transcription.responses';
import { TranscriptionResponse, TranscriptionService, type UploadedAudio } from './transcription.service';

const ERRORS = [400, 404, 413, 415];
const OK_CONTENT = {
  schema: { oneOf: [{ $ref: getSchemaPath(TranscriptionJsonDto) }, { $ref: getSchemaPath(TranscriptionVerboseJsonDto) }, { type: 'string' }] },
};

/** Sends a finished body as is, and a stream of SSE frames as a chunked body. */
function send(response: Response, { headers, body }: TranscriptionResponse): string | object | StreamableFile {
  response.set(headers);
  if (typeof body === 'string' || !(Symbol.asyncIterator in body)) return body;
  const file = new StreamableFile(Readable.from(body as AsyncIterable<string>));
  file.setErrorHandler(() => response.destroy());
  return file;
}

@ApiTags('Audio')
@ApiExtraModels(TranscriptionJsonDto, TranscriptionVerboseJsonDto)
@RateLimited('transcription')
@Controller('v1/audio')
@UseGuards(RequireContentType('multipart/form-data'))
export class TranscriptionController {
  constructor(private readonly transcriptions: TranscriptionService) {}

  @Post('transcriptions')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('file'))
  @OpenAIEndpoint('Create transcription', 'Transcribes audio into the input language.', ERRORS)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: CreateTranscriptionDto })
  @ApiProduces('application/json', 'text/plain', 'text/vtt', 'text/event-stream')
  @ApiOkResponse({ description: 'The transcript in the requested format, or SSE events when stream=true.', content: { 'application/json': OK_CONTENT } })
  async transcribe(
    @Body() dto: CreateTranscriptionDto,
    @UploadedFile() file: UploadedAudio | undefined,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string | object | StreamableFile> {
    return send(response, await this.transcriptions.transcribe(dto, file, signal));
  }

  @Post('translations')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('file'))
  @OpenAIEndpoint('Create translation', 'Translates audio into English text.', ERRORS)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: CreateTranslationDto })
  @ApiProduces('application/json', 'text/plain', 'text/vtt')
  @ApiOkResponse({ description: 'The English text in the requested format.', content: { 'application/json': OK_CONTENT } })
  async translate(
    @Body() dto: CreateTranslationDto,
    @UploadedFile() file: UploadedAudio | undefined,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string | object | StreamableFile> {
    return send(response, await this.transcriptions.translate(dto, file, signal));
  }
}
