import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Task } from '../../plugins/sdk';
import type { CatalogEntry } from '../engine/model-registry';

export class ModelDto {
  @ApiProperty({ example: 'tts-1' }) id!: string;
  @ApiProperty({ enum: ['model'] }) object!: 'model';
  @ApiProperty({ description: 'Unix seconds.' }) created!: number;
  @ApiProperty({ example: 'espeak-ng' }) owned_by!: string;
  @ApiProperty({ description: 'What the model does.', enum: ['speech', 'transcription', 'translation'], isArray: true }) tasks!: Task[];
  @ApiPropertyOptional({ description: 'For an alias: the model it stands for.', example: 'espeak' }) alias_of?: string;
  @ApiProperty({
    description: 'Where the model is loaded now: device id → number of its workers holding it (empty when not loaded).',
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { 'cpu:0': 1 },
  })
  loaded!: Record<string, number>;
}

export class ModelListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [ModelDto] }) data!: ModelDto[];
}

export class VoiceDto {
  @ApiProperty({ example: 'alloy' }) id!: string;
  @ApiProperty({ example: 'Alloy' }) name!: string;
  @ApiProperty({ enum: ['audio.voice'] }) object!: 'audio.voice';
  @ApiProperty({ description: 'Models (and aliases) the voice works with.', type: [String] }) models!: string[];
  @ApiProperty({ description: 'Languages the voice speaks.', type: [String], example: ['en'] }) languages!: string[];
  @ApiPropertyOptional({ description: 'Cloned voices (POST /v1/audio/voices): when it was made, in Unix seconds.', example: 1734220800 }) created_at?: number;
}

export class VoiceListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [VoiceDto] }) data!: VoiceDto[];
}

/** The server's start, in Unix seconds: the `created` of models that carry no date of their own. */
const STARTED = Math.floor(Date.now() / 1000);

export function toModelDto(entry: CatalogEntry, loaded: Record<string, number>): ModelDto {
  const model: ModelDto = {
    id: entry.id,
    object: 'model',
    created: STARTED,
    owned_by: entry.served.info.ownedBy,
    tasks: entry.served.info.tasks,
    loaded,
  };
  if (entry.aliasOf) model.alias_of = entry.aliasOf;
  return model;
}
