import { Body, Controller, Delete, HttpCode, Param, Post, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequireContentType } from '../http/content-type.guard';
import { OpenAIEndpoint } from '../http/openai-endpoint.decorator';
import { RequestSignal } from '../http/request-signal.decorator';
import type { UploadedAudio } from '../transcription/transcription.service';
import { CreateVoiceDto, VoiceDeletedDto, VoiceResourceDto } from './voices.dto';
import { VoicesService } from './voices.service';

/** Cloned voices. The list (GET /v1/audio/voices) is the catalog's, which shows them next to the built-in voices. */
@ApiTags('Audio')
@Controller('v1/audio/voices')
export class VoicesController {
  constructor(private readonly voices: VoicesService) {}

  @Post()
  @HttpCode(200)
  @UseGuards(RequireContentType('multipart/form-data'))
  @UseInterceptors(FileInterceptor('audio_sample'))
  @OpenAIEndpoint('Create voice', 'Clones a voice from a reference clip (zero-shot): the model’s speech encoder runs once and the result is stored. Use it as `voice: {"id": …}` or by name.', [400, 404, 413, 415])
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: CreateVoiceDto })
  @ApiOkResponse({ type: VoiceResourceDto })
  create(@Body() dto: CreateVoiceDto, @UploadedFile() file: UploadedAudio | undefined, @RequestSignal() signal: AbortSignal): Promise<VoiceResourceDto> {
    return this.voices.create(dto, file, signal);
  }

  @Delete(':voice_id')
  @OpenAIEndpoint('Delete voice', 'Deletes a cloned voice and everything stored for it.', [404])
  @ApiParam({ name: 'voice_id', example: 'voice_0123456789abcdef0123456789abcdef' })
  @ApiOkResponse({ type: VoiceDeletedDto })
  delete(@Param('voice_id') id: string): Promise<VoiceDeletedDto> {
    return this.voices.delete(id);
  }
}
