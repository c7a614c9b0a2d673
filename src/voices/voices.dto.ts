import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

/** POST /v1/audio/voices (multipart), OpenAI's CreateVoiceRequest plus an optional `model`. */
export class CreateVoiceDto {
  @ApiProperty({ description: 'A label for the voice; it can also be passed as `voice` to /v1/audio/speech.', example: 'My narrator', maxLength: 256 })
  @IsString()
  @Length(1, 256)
  name!: string;

  @ApiProperty({
    description: 'The reference clip: one speaker, 5 s or more (longer clips are trimmed to 8 s; both are settings), at most 10 MiB, any format the server decodes (wav, mp3, ogg, flac, m4a, webm …).',
    type: 'string',
    format: 'binary',
  })
  audio_sample?: unknown;

  @ApiProperty({ description: 'The speaker’s consent: an id or statement recorded with the voice (OpenAI: a consent id such as `cons_1234`).', example: 'cons_1234', maxLength: 1024 })
  @IsString()
  @Length(1, 1024)
  consent!: string;

  @ApiPropertyOptional({ description: 'The model (or alias) that computes and speaks the voice; default: the one `tts-1-hd` stands for, or the first that can clone.', example: 'tts-1-hd' })
  @IsOptional()
  @IsString()
  model?: string;
}

export class VoiceResourceDto {
  @ApiProperty({ enum: ['audio.voice'] }) object!: 'audio.voice';
  @ApiProperty({ example: 'voice_0123456789abcdef0123456789abcdef' }) id!: string;
  @ApiProperty({ example: 'My narrator' }) name!: string;
  @ApiProperty({ description: 'Unix seconds.', example: 1734220800 }) created_at!: number;
}

export class VoiceDeletedDto {
  @ApiProperty({ example: 'voice_0123456789abcdef0123456789abcdef' }) id!: string;
  @ApiProperty({ enum: ['audio.voice.deleted'] }) object!: 'audio.voice.deleted';
  @ApiProperty() deleted!: boolean;
}
