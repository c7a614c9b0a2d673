import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Response schemas, for the OpenAPI document (the service builds plain objects of these shapes). */
export class DurationUsageDto {
  @ApiProperty({ enum: ['duration'] }) type!: 'duration';
  @ApiProperty({ description: 'Seconds of audio, rounded up.' }) seconds!: number;
}

export class TranscriptionJsonDto {
  @ApiProperty({ example: 'Hello world.' }) text!: string;
  @ApiPropertyOptional({ type: DurationUsageDto }) usage?: DurationUsageDto;
}

export class TranscriptionSegmentDto {
  @ApiProperty() id!: number;
  @ApiProperty({ description: 'Offset (in 10 ms frames) of the 30 s window the segment was decoded in.' }) seek!: number;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
  @ApiProperty() text!: string;
  @ApiProperty({ type: [Number] }) tokens!: number[];
  @ApiProperty() temperature!: number;
  @ApiProperty() avg_logprob!: number;
  @ApiProperty() compression_ratio!: number;
  @ApiProperty() no_speech_prob!: number;
}

export class TranscriptionWordDto {
  @ApiProperty() word!: string;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
}

export class TranscriptionVerboseJsonDto {
  @ApiProperty({ enum: ['transcribe', 'translate'] }) task!: string;
  @ApiProperty({ description: 'Full English name of the language.', example: 'english' }) language!: string;
  @ApiProperty({ description: 'Seconds of audio.' }) duration!: number;
  @ApiProperty() text!: string;
  @ApiPropertyOptional({ type: [TranscriptionSegmentDto] }) segments?: TranscriptionSegmentDto[];
  @ApiPropertyOptional({ type: [TranscriptionWordDto] }) words?: TranscriptionWordDto[];
  @ApiPropertyOptional({ type: DurationUsageDto }) usage?: DurationUsageDto;
}
