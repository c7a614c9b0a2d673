import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Response schemas, for the OpenAPI document (the service builds plain objects of these shapes). */
export class ChatCompletionAudioDto {
  @ApiProperty({ example: 'audio_5f1c…' }) id!: string;
  @ApiProperty({ description: 'Base64 audio in the requested format.', format: 'byte' }) data!: string;
  @ApiProperty({ description: 'Unix time until which the id can be sent back (`{role: "assistant", audio: {id}}`) to continue the conversation.' }) expires_at!: number;
  @ApiProperty({ description: 'The text that was spoken.' }) transcript!: string;
}

export class ChatCompletionMessageDto {
  @ApiProperty({ enum: ['assistant'] }) role!: 'assistant';
  @ApiProperty({ description: 'The reply text; null when the reply is audio (the text is then `audio.transcript`).', nullable: true, type: String }) content!: string | null;
  @ApiProperty({ nullable: true, type: String }) refusal!: null;
  @ApiPropertyOptional({ type: ChatCompletionAudioDto }) audio?: ChatCompletionAudioDto;
}

export class ChatCompletionChoiceDto {
  @ApiProperty() index!: number;
  @ApiProperty({ type: ChatCompletionMessageDto }) message!: ChatCompletionMessageDto;
  @ApiProperty({ enum: ['stop'] }) finish_reason!: 'stop';
}

export class ChatTokenDetailsDto {
  @ApiProperty() audio_tokens!: number;
}

export class ChatUsageDto {
  @ApiProperty({ description: 'Upstream text tokens (estimated at 4 characters a token when the upstream does not say) plus audio at 10 tokens a second.' })
  prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty() total_tokens!: number;
  @ApiProperty({ type: ChatTokenDetailsDto }) prompt_tokens_details!: ChatTokenDetailsDto;
  @ApiProperty({ type: ChatTokenDetailsDto }) completion_tokens_details!: ChatTokenDetailsDto;
}

export class ChatCompletionDto {
  @ApiProperty({ example: 'chatcmpl-…' }) id!: string;
  @ApiProperty({ enum: ['chat.completion'] }) object!: 'chat.completion';
  @ApiProperty() created!: number;
  @ApiProperty() model!: string;
  @ApiProperty({ type: [ChatCompletionChoiceDto] }) choices!: ChatCompletionChoiceDto[];
  @ApiProperty({ type: ChatUsageDto }) usage!: ChatUsageDto;
}
