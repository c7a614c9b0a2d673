import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Application, Request, Response } from 'express';
import { allowedMethods } from './allowed-methods';
import { ApiError, toApiError } from './openai-error';

/** The only place that writes an error body: every failure leaves as `{"error":{message,type,param,code}}`. */
@Catch()
export class OpenAIErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    const error = this.wrongMethod(toApiError(exception, request), request);
    const where = `${request.method} ${request.route?.path ?? 'unknown route'}`;
    if (error.status === 500) {
      // A fault: logged with its stack for the operator; the client gets a message that reveals nothing.
      this.logger.error(`${where} failed: ${(exception as Error)?.stack ?? String(exception)}`);
    } else if (error.status > 500) {
      // An operating state the server reports on purpose (model loading, shutting down, upstream down, timeout):
      // worth a line, not a stack trace.
      this.logger.warn(`${where} answered ${error.status} ${error.code ?? ''}: ${error.message}`);
    }
    if (response.headersSent) {
      // The body has started (streamed audio): the only honest signal left is to cut the connection.
      response.destroy();
      return;
    }
    response.status(error.status).set(error.headers).json(error.toBody());
  }

  /** An unknown URL that exists with another method is a 405, with Allow listing what works. */
  private wrongMethod(error: ApiError, request: Request): ApiError {
    if (error.code !== 'unknown_url') return error;
    const app = this.adapterHost.httpAdapter.getInstance<Application>();
    const allowed = allowedMethods(app, request.path);
    if (allowed.length === 0) return error;
    return new ApiError(
      405,
      `Method ${request.method} is not allowed for ${request.path}. Allowed: ${allowed.join(', ')}.`,
      'invalid_request_error',
      null,
      'method_not_allowed',
      { allow: allowed.join(', ') },
    );
  }
}
