import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { toBoolean, toNumber, toStringArray } from '../http/form-values';
import { LANGUAGES } from '../../plugins/sdk/languages';

export const TRANSCRIPTION_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'] as const;
export type TranscriptionFormat = (typeof TRANSCRIPTION_FORMATS)[number];
export const GRANULARITIES = ['word', 'segment'] as const;
export const INCLUDES = ['logprobs'] as const;
const LANGUAGE_CODES = Object.keys(LANGUAGES);

/** Fields shared by transcriptions and translations, in OpenAI's order. */
class AudioUploadDto {
  @ApiProperty({
    description: 'The audio file: flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm. The format is read from the bytes, not the name.',
    type: 'string',
    format: 'binary',
  })
  file?: unknown;

  @ApiProperty({ description: 'Model (or alias, e.g. `whisper-1`). GET /v1/models lists what is installed.', example: 'whisper-1' })
  @IsString()
  model!: string;

  @ApiPropertyOptional({ description: 'Text to guide the style or continue a previous segment.', maxLength: 4096 })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  prompt?: string;

  @ApiPropertyOptional({ description: 'Response format. `text`, `srt` and `vtt` are sent as plain text.', enum: TRANSCRIPTION_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(TRANSCRIPTION_FORMATS)
  response_format?: TranscriptionFormat;

  @ApiPropertyOptional({ description: 'Sampling temperature, 0 – 1. 0 lets the server raise it when decoding fails.', minimum: 0, maximum: 1, default: 0 })
  @IsOptional()
  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  temperature?: number;
}

export class CreateTranslationDto extends AudioUploadDto {}

export class CreateTranscriptionDto extends AudioUploadDto {
  @ApiPropertyOptional({ description: 'Language of the audio (ISO-639-1, e.g. `en`); detected when absent.', example: 'en' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsIn(LANGUAGE_CODES, { message: 'language must be an ISO-639-1 code Whisper knows, e.g. en, de, fr' })
  language?: string;

  @ApiPropertyOptional({
    description: 'Timestamps to return with `verbose_json` (sent as `timestamp_granularities[]`). `word` needs a model with word timestamps.',
    enum: GRANULARITIES,
    isArray: true,
    default: ['segment'],
  })
  @IsOptional()
  @Transform(toStringArray)
  @IsArray()
  @IsIn(GRANULARITIES, { each: true })
  timestamp_granularities?: Array<(typeof GRANULARITIES)[number]>;

  @ApiPropertyOptional({ description: 'Stream the transcript as `transcript.text.delta` / `transcript.text.done` server-sent events.', default: false })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ description: 'Extra information to include (sent as `include[]`). Accepted for compatibility.', enum: INCLUDES, isArray: true })
  @IsOptional()
  @Transform(toStringArray)
  @IsArray()
  @IsIn(INCLUDES, { each: true })
  include?: Array<(typeof INCLUDES)[number]>;
}
