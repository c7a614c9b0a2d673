import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import { OpenAIErrorDto } from './openai-error.dto';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (the `param` field names the culprit).',
  404: 'Unknown model (`model_not_found`) or voice.',
  413: 'Upload larger than MAX_UPLOAD_BYTES.',
  415: 'Wrong Content-Type for this endpoint.',
  429: 'Too many requests.',
  500: 'The server failed; the error was logged.',
  502: 'The upstream LLM failed: unreachable, refused (401/403/429 and others) or answered something malformed; the message names it.',
  503: 'The server is not ready or is shutting down.',
  504: 'The upstream LLM, or the model, did not answer in time.',
};

/** A route's summary plus the OpenAI-shaped errors it can answer with. */
export function OpenAIEndpoint(summary: string, description: string, errors: number[]): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary, description }),
    ...[...errors, 500].map((status) => ApiResponse({ status, description: ERROR_DESCRIPTIONS[status], type: OpenAIErrorDto })),
  );
}
