import { ApiProperty } from '@nestjs/swagger';

export class OpenAIErrorDetailDto {
  @ApiProperty({ description: 'What went wrong, for a person to read.', example: 'Invalid value for \'speed\': speed must not be greater than 4.' })
  message!: string;

  @ApiProperty({ description: 'Error family (invalid_request_error, server_error, …).', example: 'invalid_request_error' })
  type!: string;

  @ApiProperty({ description: 'The request field at fault, if any.', type: String, nullable: true, example: 'speed' })
  param!: string | null;

  @ApiProperty({ description: 'Machine-readable code, if any.', type: String, nullable: true, example: 'invalid_value' })
  code!: string | null;
}

/** OpenAI's error envelope, returned by every failing request. */
export class OpenAIErrorDto {
  @ApiProperty({ type: OpenAIErrorDetailDto })
  error!: OpenAIErrorDetailDto;
}
