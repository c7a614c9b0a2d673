import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError } from './openai-error';

const TYPE_CONSTRAINTS = new Set(['isString', 'isNumber', 'isBoolean', 'isArray', 'isObject', 'isInt']);

/** The first problem of a failed validation, named by its dotted path (`voice.id`). */
function firstProblem(errors: ValidationError[], prefix = ''): { param: string; error: ValidationError } | undefined {
  for (const error of errors) {
    const param = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints && Object.keys(error.constraints).length > 0) return { param, error };
    const nested = firstProblem(error.children ?? [], param);
    if (nested) return nested;
  }
  return undefined;
}

/** Turns class-validator's report into OpenAI's wording and codes. */
export function validationErrorToApiError(errors: ValidationError[]): ApiError {
  const problem = firstProblem(errors);
  if (!problem) return new ApiError(400, 'The request body is invalid.', 'invalid_request_error', null, 'invalid_value');
  const { param, error } = problem;
  const constraints = error.constraints ?? {};
  if (error.value === undefined || error.value === null) {
    return new ApiError(400, `Missing required parameter: '${param}'.`, 'invalid_request_error', param, 'missing_required_parameter');
  }
  // A wrong type explains every other failed constraint, so it is reported first.
  const typeProblem = Object.entries(constraints).find(([kind]) => TYPE_CONSTRAINTS.has(kind));
  if (typeProblem) {
    return new ApiError(400, `Invalid type for '${param}': ${typeProblem[1]}.`, 'invalid_request_error', param, 'invalid_type');
  }
  const message = Object.values(constraints)[0];
  return new ApiError(400, `Invalid value for '${param}': ${message}.`, 'invalid_request_error', param, 'invalid_value');
}

/**
 * Validates and converts request bodies into DTO instances. Unknown fields are kept on the instance (not
 * rejected): OpenAI clients send fields this server does not know, and backends may read extras.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: false,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => validationErrorToApiError(errors),
  });
}
