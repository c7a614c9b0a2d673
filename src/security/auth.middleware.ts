import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../http/openai-error';
import type { ApiKeys } from './api-keys';

/** What the rest of the request sees of the caller: the sha256 of its key (never the key), when keys are on. */
export interface AuthenticatedRequest extends Request {
  apiKeyDigest?: string;
}

// OpenAI's own wording (see the README's Security section), minus its links to platform.openai.com.
const MISSING_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";

/** OpenAI shows the key's tail so a user can tell which of their keys was wrong; four characters reveal nothing useful. */
function maskKey(key: string): string {
  return key.length >= 12 ? `${'*'.repeat(8)}${key.slice(-4)}` : '*'.repeat(8);
}

function sendUnauthorized(response: Response, message: string, code: string | null): void {
  const error = new ApiError(401, message, 'invalid_request_error', null, code, { 'www-authenticate': 'Bearer realm="audio-pollinations"' });
  response.status(error.status).set(error.headers).json(error.toBody());
}

/** `/docs` opens `/docs` and `/docs/...`, never `/docsX`. */
export function isPublicPath(path: string, publicPaths: readonly string[]): boolean {
  return publicPaths.some((open) => open === '/' || path === open || path.startsWith(`${open}/`));
}

/**
 * Bearer-key check in front of everything (routes, Swagger UI, unknown URLs alike), except PUBLIC_PATHS.
 * A middleware rather than a Nest guard so that nothing registered outside Nest's router (Swagger) slips past it.
 */
export function apiKeyAuth(keys: ApiKeys, publicPaths: readonly string[]) {
  // Refusals are logged (a burst of them is worth an operator's look) with the request id and path only: never the
  // header, nor any part of a presented key.
  const logger = new Logger('Auth');
  return (request: AuthenticatedRequest, response: Response, next: NextFunction): void => {
    if (keys.open || isPublicPath(request.path, publicPaths)) {
      next();
      return;
    }
    const header = request.header('authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) {
      logger.warn(`Refused ${request.method} ${request.path}: no Bearer API key`);
      sendUnauthorized(response, MISSING_KEY_MESSAGE, null);
      return;
    }
    const digest = keys.verify(match[1]);
    if (!digest) {
      logger.warn(`Refused ${request.method} ${request.path}: API key not accepted`);
      sendUnauthorized(response, `Incorrect API key provided: ${maskKey(match[1])}. Ask this server's operator for a valid key.`, 'invalid_api_key');
      return;
    }
    request.apiKeyDigest = digest;
    next();
  };
}
