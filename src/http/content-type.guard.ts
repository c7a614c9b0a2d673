import { CanActivate, ExecutionContext, Injectable, mixin, Type } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from './openai-error';

/** Answers 415 unless the request body has the given media type (e.g. multipart/form-data for uploads). */
export function RequireContentType(mediaType: string): Type<CanActivate> {
  @Injectable()
  class ContentTypeGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const request = context.switchToHttp().getRequest<Request>();
      const actual = (request.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (actual !== mediaType) {
        throw new ApiError(
          415,
          `Unsupported Content-Type '${actual || 'none'}': this endpoint takes ${mediaType}.`,
          'invalid_request_error',
          null,
          'unsupported_media_type',
        );
      }
      return true;
    }
  }
  return mixin(ContentTypeGuard);
}
