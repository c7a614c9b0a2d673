import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { OpenAIErrorDto } from './openai-error.dto';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (the `param` field names the culprit).',
  401: 'Missing API key (`code` null) or a key the server does not accept (`invalid_api_key`). Only when API keys are configured.',
  404: 'Unknown model (`model_not_found`) or voice.',
  413: 'Upload larger than MAX_UPLOAD_BYTES.',
  415: 'Wrong Content-Type for this endpoint.',
  429: 'Rate limit reached (`rate_limit_exceeded`, type `requests`) or every worker busy with a full queue. `Retry-After` says when to retry.',
  500: 'The server failed; the error was logged.',
  502: 'The upstream LLM failed: unreachable, refused (401/403/429 and others) or answered something malformed; the message names it.',
  503: 'The server is not ready or is shutting down.',
  504: 'The upstream LLM, or the model, did not answer in time.',
};

const RATE_LIMIT_HEADERS = {
  'x-ratelimit-limit-requests': { description: 'Requests allowed per window for this key (or client IP) on this route group.', schema: { type: 'integer' } },
  'x-ratelimit-remaining-requests': { description: 'Requests left in the current window.', schema: { type: 'integer' } },
  'x-ratelimit-reset-requests': { description: 'Time until the window resets, e.g. `20ms`, `1.2s`, `6m0s`.', schema: { type: 'string' } },
};

const RETRY_AFTER = { 'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } } };

/**
 * A route's summary plus the OpenAI-shaped errors it can answer with. Every such route takes the bearer API key
 * (when keys are configured) and is rate limited, so 401 and 429 are always listed.
 */
export function OpenAIEndpoint(summary: string, description: string, errors: number[]): MethodDecorator {
  const statuses = [...new Set([...errors, 401, 429, 500])].sort((a, b) => a - b);
  return applyDecorators(
    ApiBearerAuth(),
    ApiOperation({ summary, description }),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: ERROR_DESCRIPTIONS[status],
        type: OpenAIErrorDto,
        headers: status === 429 ? { ...RETRY_AFTER, ...RATE_LIMIT_HEADERS } : undefined,
      }),
    ),
  );
}
