import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { CustomVoiceDto, IsVoice } from '../speech/speech.dto';
import { UPSTREAM_SAMPLING_FIELDS, type UpstreamSampling } from './upstream-llm.client';

export const CHAT_AUDIO_FORMATS = ['wav', 'mp3', 'flac', 'opus', 'aac', 'pcm16'] as const;
export type ChatAudioFormat = (typeof CHAT_AUDIO_FORMATS)[number];
export const MODALITIES = ['text', 'audio'] as const;

export class ChatAudioParamDto {
  @ApiProperty({ description: 'Voice, as for /v1/audio/speech: a name (alloy, ash, …, dan, ghost) or `{ "id": "voice_…" }`.', example: 'alloy' })
  @IsVoice()
  voice!: string | CustomVoiceDto;

  @ApiProperty({ description: 'Audio format of `message.audio.data`. `pcm16` is raw 24 kHz mono 16-bit little-endian, and the only format for `stream: true`.', enum: CHAT_AUDIO_FORMATS })
  @IsIn(CHAT_AUDIO_FORMATS)
  format!: ChatAudioFormat;
}

export class ChatStreamOptionsDto {
  @ApiPropertyOptional({ description: 'Send a last chunk with `usage` (and empty `choices`).' })
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

const MESSAGES_SCHEMA = {
  type: 'array',
  minItems: 1,
  description:
    'The conversation. `content` is a string or an array of parts: `{type:"text", text}` and `{type:"input_audio", input_audio:{data:<base64>, format}}` (transcribed by TRANSCRIPTION_MODEL_FOR_CHAT before the upstream LLM sees it).',
  items: {
    type: 'object',
    required: ['role'],
    properties: {
      role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
      content: {
        oneOf: [
          { type: 'string' },
          {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                type: { type: 'string', enum: ['text', 'input_audio'] },
                text: { type: 'string' },
                input_audio: { type: 'object', properties: { data: { type: 'string', format: 'byte' }, format: { type: 'string', example: 'wav' } } },
              },
            },
          },
        ],
      },
      name: { type: 'string' },
      audio: { type: 'object', description: 'Assistant messages: an earlier spoken reply, by id (its transcript is used).', properties: { id: { type: 'string' } } },
    },
  },
  example: [{ role: 'user', content: 'Say hello in one short sentence.' }],
} as ApiPropertyOptions;

/** POST /v1/chat/completions (OpenAI's chat-completions audio: `modalities`, `audio`, `input_audio`). */
export class CreateChatCompletionDto {
  @ApiProperty({ description: 'Echoed back in the response; the reply is written by UPSTREAM_LLM_MODEL.', example: 'gpt-4o-audio-preview' })
  @IsString()
  model!: string;

  @ApiProperty(MESSAGES_SCHEMA)
  @IsArray()
  @ArrayMinSize(1)
  @IsObject({ each: true })
  messages!: Array<Record<string, unknown>>;

  @ApiPropertyOptional({ description: 'Output types. With `audio`, the reply is spoken and `audio` is required.', enum: MODALITIES, isArray: true, default: ['text'] })
  @IsOptional()
  @IsArray()
  @IsIn(MODALITIES, { each: true })
  modalities?: Array<(typeof MODALITIES)[number]>;

  @ApiPropertyOptional({ description: 'Voice and format of the spoken reply.', type: ChatAudioParamDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ChatAudioParamDto)
  audio?: ChatAudioParamDto;

  @ApiPropertyOptional({ description: 'Speak the last user message as it is, without asking the LLM (also when it starts with "say verbatim:").', default: false })
  @IsOptional()
  @IsBoolean()
  verbatim?: boolean;

  @ApiPropertyOptional({ description: 'Stream `chat.completion.chunk` events: text in `delta.content`, or `delta.audio` (`transcript` and pcm16 `data`).', default: false })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({ type: ChatStreamOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ChatStreamOptionsDto)
  stream_options?: ChatStreamOptionsDto;

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM.', minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM.', minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_p?: number;

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM.', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  max_tokens?: number;

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM.', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  max_completion_tokens?: number;

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM.' })
  @IsOptional()
  @IsInt()
  seed?: number;

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM.', oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  @IsOptional()
  stop?: string | string[];

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM.', minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM.', minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  get wantsAudio(): boolean {
    return this.modalities?.includes('audio') ?? false;
  }

  get sampling(): UpstreamSampling {
    const sampling: UpstreamSampling = {};
    for (const field of UPSTREAM_SAMPLING_FIELDS) sampling[field] = (this as Record<string, unknown>)[field];
    return sampling;
  }
}
