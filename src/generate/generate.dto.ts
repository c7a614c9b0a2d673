import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ArrayMinSize, IsArray, IsInt, IsObject, IsOptional } from 'class-validator';

const MESSAGES_SCHEMA = {
  type: 'array',
  minItems: 1,
  description:
    'The original service\'s messages. System: `voice` (alloy, ash, ballad, cedar, coral, dan, echo, fable, ghost, marin, nova, onyx, sage, shimmer, verse, any voice of SPEECH_MODEL_FOR_CHAT, or a base64 WAV of 5–8 s to clone — needs a speech model that clones) and optional style text. User: a `text` item (required) and an optional `speech_audio` item `{audio:{data:<base64 WAV ≤ 90 s>, format:"wav"}}`. Of several text items the last counts, as in the original.',
  items: {
    type: 'object',
    required: ['role', 'content'],
    properties: {
      role: { type: 'string', enum: ['system', 'user'] },
      voice: { type: 'string', example: 'alloy' },
      content: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            type: { type: 'string', enum: ['text', 'speech_audio'] },
            text: { type: 'string' },
            audio: { type: 'object', properties: { data: { type: 'string', format: 'byte' }, format: { type: 'string', example: 'wav' } } },
          },
        },
      },
    },
  },
  example: [
    { role: 'system', voice: 'dan', content: [{ type: 'text', text: 'Speak warmly.' }] },
    { role: 'user', content: [{ type: 'text', text: 'say verbatim: Welcome to Audio Pollinations.' }] },
  ],
} as ApiPropertyOptions;

/** POST /generate: the request of the original Audio Pollinations (elixpo/lixaudio) service, unchanged. */
export class GenerateRequestDto {
  @ApiProperty(MESSAGES_SCHEMA)
  @IsArray()
  @ArrayMinSize(1)
  @IsObject({ each: true })
  messages!: Array<Record<string, unknown>>;

  @ApiPropertyOptional({ description: 'Passed to the upstream LLM and the speech model (the original only hashed it).', default: 42 })
  @IsOptional()
  @IsInt()
  seed?: number;
}
