import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './openai-error';

/**
 * Deepest nesting accepted in a JSON body. OpenAI's bodies nest two levels (`voice: { id }`); 32 leaves room for
 * extra fields a backend reads, while keeping the recursive steps after parsing (class-transformer, the
 * ValidationPipe's prototype-key scrub) far from the call-stack limit, which a few thousand `[` would reach: a 500.
 */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests deeper than `limit` arrays/objects. Iterative, so the check itself cannot overflow. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(current)) pending.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/** Express middleware, after the JSON parser: a body nested deeper than MAX_JSON_DEPTH is a 400 before it goes further. */
export function rejectDeepJson(request: Request, _response: Response, next: NextFunction): void {
  if (!nestsDeeperThan(request.body, MAX_JSON_DEPTH)) return next();
  next(new ApiError(400, `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`, 'invalid_request_error', null, 'invalid_json'));
}
