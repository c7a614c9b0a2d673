import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateBy, ValidationArguments } from 'class-validator';
import type { SpeechRequest } from '../../plugins/sdk';
import type { OutputFormat } from '../audio/encoder';
import { toNumber } from '../http/form-values';

export const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const satisfies readonly OutputFormat[];
export const STREAM_FORMATS = ['audio', 'sse'] as const;
export const MAX_INPUT_CHARS = 4096;

/** Fields OpenAI defines; anything else in the body is passed to the backend as `extra`. */
export const OPENAI_FIELDS: ReadonlySet<string> = new Set(['model', 'input', 'voice', 'instructions', 'response_format', 'speed', 'stream_format']);

/** The extension fields this DTO declares and validates (below); any other extra field is unknown to this server. */
export const SPEECH_EXTENSION_FIELDS: ReadonlySet<string> = new Set(['exaggeration', 'temperature', 'top_k', 'top_p', 'min_p', 'repetition_penalty', 'seed', 'language']);

export class CustomVoiceDto {
  @ApiProperty({ description: 'Id of a custom (cloned) voice.', example: 'voice_1234' })
  id!: string;
}

function isVoice(value: unknown): boolean {
  if (typeof value === 'string') return value.trim().length > 0 && value.length <= 256;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 256;
}

/** `voice` is a voice name, or `{ "id": "voice_…" }` for a custom voice (OpenAI's VoiceIdsOrCustomVoice). */
export function IsVoice(): PropertyDecorator {
  return ValidateBy({
    name: 'isVoice',
    validator: {
      validate: isVoice,
      defaultMessage: (args?: ValidationArguments) => `${args?.property} must be a voice name or an object {"id": "<custom voice id>"}`,
    },
  });
}

/** POST /v1/audio/speech, in OpenAI's field order. */
export class CreateSpeechDto {
  @ApiProperty({
    description: 'Model (or alias) to speak with. `tts-1`, `tts-1-hd` and `gpt-4o-mini-tts` are aliases; GET /v1/models lists them all.',
    example: 'tts-1',
  })
  @IsString()
  model!: string;

  @ApiProperty({ description: 'The text to speak.', minLength: 1, maxLength: MAX_INPUT_CHARS, example: 'Hello world' })
  @IsString()
  @Length(1, MAX_INPUT_CHARS)
  input!: string;

  @ApiProperty({
    description: 'A voice name (alloy, ash, ballad, coral, echo, fable, onyx, nova, sage, shimmer, verse, marin, cedar, … — GET /v1/audio/voices lists them) or `{ "id": "voice_…" }` for a custom voice.',
    oneOf: [{ type: 'string', example: 'alloy' }, { $ref: getSchemaPath(CustomVoiceDto) }],
    example: 'alloy',
  })
  @IsVoice()
  voice!: string | CustomVoiceDto;

  @ApiPropertyOptional({ description: 'How to speak (tone, pace, accent). Accepted; backends that cannot follow it ignore it.', maxLength: MAX_INPUT_CHARS })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_INPUT_CHARS)
  instructions?: string;

  @ApiPropertyOptional({ description: 'Audio format. `pcm` is raw 24 kHz mono 16-bit little-endian.', enum: SPEECH_FORMATS, default: 'mp3' })
  @IsOptional()
  @IsIn(SPEECH_FORMATS)
  response_format?: (typeof SPEECH_FORMATS)[number];

  @ApiPropertyOptional({ description: 'Speaking rate.', minimum: 0.25, maximum: 4, default: 1 })
  @IsOptional()
  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.25)
  @Max(4)
  speed?: number;

  @ApiPropertyOptional({ description: '`audio`: the audio file, streamed as it is produced. `sse`: server-sent `speech.audio.delta` / `speech.audio.done` events.', enum: STREAM_FORMATS, default: 'audio' })
  @IsOptional()
  @IsIn(STREAM_FORMATS)
  stream_format?: (typeof STREAM_FORMATS)[number];

  // Extensions for neural backends (Chatterbox). Not OpenAI's: a backend that has no use for one ignores it.

  @ApiPropertyOptional({ description: 'Extension (Chatterbox original / multilingual): emotion intensity; 0.5 is neutral, higher is more expressive. Turbo ignores it.', minimum: 0, maximum: 2, default: 0.5 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  exaggeration?: number;

  @ApiPropertyOptional({ description: 'Extension: sampling temperature. 0 (default) is greedy decoding, as the public ONNX examples; above 0 samples, narrowed by top_k / top_p / min_p.', minimum: 0, maximum: 5, default: 0 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(5)
  temperature?: number;

  @ApiPropertyOptional({ description: 'Extension: sample only among the k likeliest speech tokens (0 = off). Used when temperature > 0.', minimum: 0, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  top_k?: number;

  @ApiPropertyOptional({ description: 'Extension: nucleus sampling, the smallest set of speech tokens whose probability reaches top_p (1 = off). Used when temperature > 0.', minimum: 0, maximum: 1, default: 1 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  top_p?: number;

  @ApiPropertyOptional({ description: 'Extension: drop speech tokens less likely than min_p × the likeliest (0 = off). Used when temperature > 0.', minimum: 0, maximum: 1, default: 0 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  min_p?: number;

  @ApiPropertyOptional({ description: 'Extension: repetition penalty over the speech tokens generated so far (1 = off).', minimum: 1, maximum: 10, default: 1.2 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(10)
  repetition_penalty?: number;

  @ApiPropertyOptional({ description: 'Extension: makes sampling reproducible (same seed, text, voice and settings → the same audio).', example: 42 })
  @IsOptional()
  @IsInt()
  seed?: number;

  @ApiPropertyOptional({ description: 'Extension (Chatterbox multilingual): the language of `input`, as a two-letter code (default en).', example: 'fr' })
  @IsOptional()
  @IsString()
  @Length(2, 2)
  language?: string;

  get format(): OutputFormat {
    return this.response_format ?? 'mp3';
  }

  /** The backend's view of the request; fields this server does not know travel as `extra`. */
  toSpeechRequest(): SpeechRequest {
    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this)) if (!OPENAI_FIELDS.has(key)) extra[key] = value;
    return {
      model: this.model,
      input: this.input,
      voice: typeof this.voice === 'string' ? this.voice : this.voice.id,
      speed: this.speed ?? 1,
      instructions: this.instructions,
      extra,
    };
  }
}
