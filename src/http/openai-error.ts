import { HttpException } from '@nestjs/common';
import { CancelledError, PluginInputError } from '../../plugins/sdk';
import { AudioDecoderBusyError, AudioInputError } from '../audio/errors';
import {
  ModelIntegrityError,
  ModelNotFoundError,
  OverloadedError,
  RequestTimeoutError,
  ShuttingDownError,
  TaskNotSupportedError,
  UnsupportedOptionError,
} from '../engine/engine.errors';

/** OpenAI's error body: all four keys are always present. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error with everything the client needs: status and OpenAI's four fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers (e.g. Allow, Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/**
 * The audio layer blames `file` (the upload field of transcriptions). Audio that arrives in another field (a voice's
 * `audio_sample`, base64 in a JSON body) is that field's fault: rethrown as the same 4xx naming `param`.
 */
export function blameAudioOn(param: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof AudioInputError) throw new ApiError(error.status, error.message, 'invalid_request_error', param, error.code);
    throw error;
  };
}

export const INTERNAL_ERROR_MESSAGE = 'The server had an error while processing your request. The error was logged; try again later.';

const STATUS_TEXT_TO_CODE: Record<number, string | null> = {
  404: 'unknown_url',
  413: 'request_too_large',
  415: 'unsupported_media_type',
};

/**
 * Maps anything thrown while serving a request to an ApiError. The single place that decides status, type and
 * code, so every route answers in the same shape. Unknown errors become a 500 whose message reveals nothing.
 */
export function toApiError(error: unknown, request: { method: string; url: string }): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ModelNotFoundError) return new ApiError(404, error.message, 'invalid_request_error', 'model', 'model_not_found');
  if (error instanceof TaskNotSupportedError) return new ApiError(400, error.message, 'invalid_request_error', 'model', 'unsupported_value');
  if (error instanceof UnsupportedOptionError) return new ApiError(400, error.message, 'invalid_request_error', error.param, 'unsupported_value');
  if (error instanceof PluginInputError) return new ApiError(400, error.message, 'invalid_request_error', error.param, error.code);
  if (error instanceof AudioInputError) return new ApiError(error.status, error.message, 'invalid_request_error', error.param, error.code);
  if (error instanceof OverloadedError) {
    const status = error.loadingModel ? 503 : 429;
    const code = error.loadingModel ? 'model_loading' : 'rate_limit_exceeded';
    const type = error.loadingModel ? 'server_error' : 'requests';
    return new ApiError(status, error.message, type, null, code, { 'retry-after': String(error.retryAfterSeconds) });
  }
  if (error instanceof ModelIntegrityError) return new ApiError(500, error.message, 'server_error', 'model', 'model_integrity');
  if (error instanceof AudioDecoderBusyError) {
    return new ApiError(429, error.message, 'requests', null, 'rate_limit_exceeded', { 'retry-after': String(error.retryAfterSeconds) });
  }
  if (error instanceof RequestTimeoutError) return new ApiError(504, error.message, 'server_error', null, 'timeout');
  if (error instanceof ShuttingDownError) return new ApiError(503, error.message, 'server_error', null, 'shutting_down', { 'retry-after': '5' });
  if (error instanceof CancelledError) return new ApiError(499, error.message, 'invalid_request_error', null, 'cancelled');
  if (error instanceof HttpException) return fromHttpException(error, request);
  const fromParser = bodyParserError(error);
  if (fromParser) return fromParser;
  return new ApiError(500, INTERNAL_ERROR_MESSAGE, 'server_error');
}

/** body-parser's errors carry a `type`; each becomes the status and code a client can act on. */
export function bodyParserError(error: unknown): ApiError | undefined {
  const { type, message } = (error ?? {}) as { type?: unknown; message?: string };
  switch (type) {
    case 'entity.parse.failed':
      return new ApiError(400, `We could not parse the JSON body of your request: ${message}`, 'invalid_request_error', null, 'invalid_json');
    case 'entity.too.large':
      return new ApiError(413, 'The request body is too large (JSON_BODY_LIMIT).', 'invalid_request_error', null, 'request_too_large');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ApiError(415, `Unsupported body encoding: ${message}`, 'invalid_request_error', null, 'unsupported_media_type');
    case 'request.aborted':
    case 'request.size.invalid':
      return new ApiError(400, 'The request body was incomplete.', 'invalid_request_error', null, 'invalid_body');
    default:
      return unreadableBody(error);
  }
}

/**
 * body-parser wraps other read failures (a gzip/deflate/br body that does not decompress) as untyped http-errors
 * with a 4xx status: the client's fault, so a 400 with the reason rather than an anonymous 500.
 */
function unreadableBody(error: unknown): ApiError | undefined {
  const { status, expose, message } = (error ?? {}) as { status?: unknown; expose?: unknown; message?: string };
  if (expose !== true || typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return new ApiError(400, `The request body could not be read: ${message}`, 'invalid_request_error', null, 'invalid_body');
}

/** The multipart field that carries the upload, per route: `file` (transcriptions), `audio_sample` (voices). */
const UPLOAD_FIELDS: Record<string, string> = { '/v1/audio/voices': 'audio_sample' };

function uploadFieldOf(path: string): string {
  return UPLOAD_FIELDS[path.replace(/\/+$/, '')] ?? 'file';
}

function fromHttpException(error: HttpException, request: { method: string; url: string }): ApiError {
  const status = error.getStatus();
  const path = request.url.split('?')[0];
  if (status === 404 && /^Cannot [A-Z]+ /.test(error.message)) {
    return new ApiError(404, `Invalid URL (${request.method} ${path})`, 'invalid_request_error', null, 'unknown_url');
  }
  if (status === 413) {
    return new ApiError(413, tooLargeMessage(error.message), 'invalid_request_error', uploadFieldOf(path), 'request_too_large');
  }
  const response = error.getResponse();
  const message = typeof response === 'object' && response && 'message' in response ? String((response as { message: unknown }).message) : error.message;
  if (status === 400) {
    const multipart = multipartError(message, uploadFieldOf(path));
    if (multipart) return multipart;
  }
  return new ApiError(status, message, status >= 500 ? 'server_error' : 'invalid_request_error', null, STATUS_TEXT_TO_CODE[status] ?? null);
}

function tooLargeMessage(raw: string): string {
  return raw === 'File too large' ? 'The uploaded file is larger than this server accepts (MAX_UPLOAD_BYTES).' : raw;
}

/**
 * The upload parser's complaints (multer's limits and busboy's syntax errors, as Nest's multer interceptor words
 * them: "Too many files", "Field value too long - prompt", "Multipart: Unexpected end of form") → a 400 with code
 * `invalid_multipart` and, where one is to blame, the field as `param`; without this they left with code null.
 */
const MULTIPART_PROBLEMS: Array<{ pattern: RegExp; /** The route's upload field is to blame. */ upload?: true }> = [
  { pattern: /^Too many files$/, upload: true },
  { pattern: /^Unexpected (file )?field\b/, upload: true },
  { pattern: /^Too many (parts|fields)$/ },
  { pattern: /^Field (name|value) too long\b/ },
  { pattern: /^Field name (missing|nesting too deep|array index too large)\b/ },
  { pattern: /^Invalid field name\b/ },
  { pattern: /^Multipart: / },
];

function multipartError(message: string, uploadField: string): ApiError | undefined {
  const problem = MULTIPART_PROBLEMS.find(({ pattern }) => pattern.test(message));
  if (!problem) return undefined;
  // multer appends " - <field>" when a field is to blame.
  const field = / - (.+)$/.exec(message)?.[1];
  const param = problem.upload ? uploadField : (field ?? null);
  const detail = problem.upload ? `${message}. Send exactly one file, in the field '${uploadField}'.` : `${message}.`;
  return new ApiError(400, `Invalid multipart/form-data body: ${detail}`, 'invalid_request_error', param, 'invalid_multipart');
}
