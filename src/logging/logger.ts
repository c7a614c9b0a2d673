import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { NextFunction } from 'express';
// nestjs-pino's request context (not re-exported by its index; the version is pinned): binding it here, in plain
// middleware, lets Nest Logger calls made anywhere while serving a request log with that request's id.
import { storage, Store } from 'nestjs-pino/storage';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { AppConfig } from '../config/app-config';

/**
 * The one pino logger of an app: JSON lines on stdout (or the given destination), level from LOG_LEVEL.
 * Nothing here ever serializes headers, bodies or audio: see httpLogger for what a request line carries.
 */
export function createRootLogger(level: AppConfig['LOG_LEVEL'] | 'silent', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Belt and braces: were a header object ever logged by some future line, these never leave the process.
      redact: { paths: ['headers.authorization', '*.headers.authorization', 'authorization', 'apiKey', '*.apiKey'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

type ExpressRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/** Request fields that are content (text to speak, prompts) and may be logged only with LOG_CONTENT=true. */
function contentFields(body: unknown): Record<string, unknown> | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([, value]) => typeof value !== 'object' || value === null));
}

/**
 * One line per finished request: request id, method, path (never the query string or headers, so no API key or
 * text can get in), status and time. Every line logged while serving the request carries the same `requestId`.
 * With LOG_CONTENT=true the line also carries the request's scalar body fields (input text, prompt, …); uploaded
 * audio bytes never appear either way (multer keeps the file out of req.body).
 */
export function httpLogger(logger: Logger, logContent: boolean): HttpLogger<ExpressRequest, ServerResponse> {
  return pinoHttp<ExpressRequest, ServerResponse>({
    logger,
    // Set by the requestId middleware, which runs first: the same id the client sees in x-request-id.
    genReqId: (request) => request.id ?? "unknown",
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    wrapSerializers: false,
    serializers: {
      req: (request: ExpressRequest) => ({ method: request.method, path: (request.originalUrl ?? request.url ?? '').split('?')[0] }),
      res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
    },
    customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: (request, response) => `${request.method} ${(request.originalUrl ?? request.url ?? '').split('?')[0]} ${response.statusCode}`,
    customSuccessObject: (request, _response, value: Record<string, unknown>) =>
      logContent && contentFields(request.body) ? { ...value, body: contentFields(request.body) } : value,
  });
}

/** Runs the rest of the request inside nestjs-pino's context, so `new Logger(...)` lines carry the request id. */
export function requestLogContext(request: IncomingMessage & { log?: Logger }, _response: ServerResponse, next: NextFunction): void {
  if (!request.log) {
    next();
    return;
  }
  storage.run(new Store(request.log), next);
}
