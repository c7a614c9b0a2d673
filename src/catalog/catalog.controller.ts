import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { EngineService } from '../engine/engine.service';
import type { CatalogEntry } from '../engine/model-registry';
import { OpenAIEndpoint } from '../http/openai-endpoint.decorator';
import { ModelDto, ModelListDto, toModelDto, VoiceListDto } from './catalog.dto';

@ApiTags('Models')
@Controller('v1')
export class CatalogController {
  constructor(private readonly engine: EngineService) {}

  @Get('models')
  @OpenAIEndpoint('List models', 'Every installed model, and every alias (whisper-1, tts-1 …) whose model is installed.', [])
  @ApiOkResponse({ type: ModelListDto })
  list(): ModelListDto {
    return { object: 'list', data: this.engine.registry.catalog().map((entry) => this.toDto(entry)) };
  }

  @Get('models/:model')
  @OpenAIEndpoint('Retrieve model', 'One model or alias.', [404])
  @ApiParam({ name: 'model', example: 'tts-1' })
  @ApiOkResponse({ type: ModelDto })
  retrieve(@Param('model') id: string): ModelDto {
    this.engine.registry.resolve(id); // 404 model_not_found when unknown
    return this.toDto(this.engine.registry.catalog().find((entry) => entry.id === id)!);
  }

  private toDto(entry: CatalogEntry): ModelDto {
    return toModelDto(entry, this.engine.placement(entry.served.info.id));
  }

  @Get('audio/voices')
  @ApiTags('Audio')
  @OpenAIEndpoint('List voices', 'The voices of every speech model, or of one (`?model=`).', [404])
  @ApiQuery({ name: 'model', required: false, example: 'tts-1' })
  @ApiOkResponse({ type: VoiceListDto })
  voices(@Query('model') model?: string): VoiceListDto {
    const voices = this.engine.registry.voices(typeof model === 'string' && model.length > 0 ? model : undefined);
    return {
      object: 'list',
      data: voices.map((voice) => ({ id: voice.id, name: voice.name, object: 'audio.voice', models: voice.models, languages: voice.languages })),
    };
  }
}
