import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { EngineService } from '../engine/engine.service';
import type { CatalogEntry } from '../engine/model-registry';
import { OpenAIEndpoint } from '../http/openai-endpoint.decorator';
import { VoicesService } from '../voices/voices.service';
import { ModelDto, ModelListDto, toModelDto, VoiceListDto, type VoiceDto } from './catalog.dto';

@ApiTags('Models')
@Controller('v1')
export class CatalogController {
  constructor(
    private readonly engine: EngineService,
    private readonly cloned: VoicesService,
  ) {}

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
  @OpenAIEndpoint('List voices', 'The built-in voices of every speech model, or of one (`?model=`), then the cloned voices (POST /v1/audio/voices) that work with them.', [404])
  @ApiQuery({ name: 'model', required: false, example: 'tts-1' })
  @ApiOkResponse({ type: VoiceListDto })
  voices(@Query('model') model?: string): VoiceListDto {
    const only = typeof model === 'string' && model.length > 0 ? model : undefined;
    const builtIn: VoiceDto[] = this.engine.registry
      .voices(only)
      .map((voice) => ({ id: voice.id, name: voice.name, object: 'audio.voice', models: voice.models, languages: voice.languages }));
    // A cloned voice works with the model that computed it, and with every alias of that model.
    const entries = only ? [{ id: only, served: this.engine.registry.resolve(only, 'speech') }] : this.engine.registry.catalog();
    const cloned: VoiceDto[] = [];
    for (const voice of this.cloned.list()) {
      const models = entries.filter((entry) => entry.served.info.id === voice.model).map((entry) => entry.id);
      if (models.length === 0) continue;
      const languages = entries.find((entry) => entry.served.info.id === voice.model)?.served.info.languages ?? [];
      cloned.push({ id: voice.id, name: voice.name, object: 'audio.voice', models, languages, created_at: voice.created_at });
    }
    return { object: 'list', data: [...builtIn, ...cloned] };
  }
}
