import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';

/**
 * An AbortSignal that fires when the client goes away before the response is complete, so queued or running
 * work for it stops instead of finishing for nobody.
 */
export const RequestSignal = createParamDecorator((_data: unknown, context: ExecutionContext): AbortSignal => {
  const request = context.switchToHttp().getRequest<Request>();
  const response = context.switchToHttp().getResponse<Response>();
  const controller = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  request.on('aborted', () => controller.abort());
  return controller.signal;
});
