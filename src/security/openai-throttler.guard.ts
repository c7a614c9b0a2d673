import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ApiError } from '../http/openai-error';
import type { AuthenticatedRequest } from './auth.middleware';
import { goDuration, RATE_LIMIT_GROUP, type RateLimitGroup } from './rate-limit.policy';

export function rateLimitGroupOf(context: ExecutionContext): RateLimitGroup {
  return (
    (Reflect.getMetadata(RATE_LIMIT_GROUP, context.getHandler()) as RateLimitGroup | undefined) ??
    (Reflect.getMetadata(RATE_LIMIT_GROUP, context.getClass()) as RateLimitGroup | undefined) ??
    'default'
  );
}

/**
 * @nestjs/throttler's guard speaking OpenAI: counts per API key (per client IP when the server is open) and per
 * route group, sets `x-ratelimit-{limit,remaining,reset}-requests` on every limited response, and refuses with
 * OpenAI's 429 `rate_limit_exceeded` body plus `Retry-After`.
 */
@Injectable()
export class OpenAIThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const digest = (request as unknown as AuthenticatedRequest).apiKeyDigest;
    // req.ip honours X-Forwarded-For only when TRUST_PROXY told Express which proxies to believe.
    return digest ? `key:${digest}` : `ip:${await super.getTracker(request)}`;
  }

  /** One budget per group (transcriptions and translations share one), not per handler. */
  protected override generateKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${rateLimitGroupOf(context)}:${tracker}`;
  }

  protected override async handleRequest({ context, limit, ttl, throttler, blockDuration, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const tracker = await getTracker(request, context);
    const record = await this.storageService.increment(generateKey(context, tracker, throttler.name ?? 'default'), ttl, limit, blockDuration, throttler.name ?? 'default');
    response.setHeader('x-ratelimit-limit-requests', String(limit));
    response.setHeader('x-ratelimit-remaining-requests', String(Math.max(0, limit - record.totalHits)));
    response.setHeader('x-ratelimit-reset-requests', goDuration(record.timeToExpire * 1000));
    if (record.isBlocked) {
      const retryAfter = Math.max(1, record.timeToBlockExpire);
      throw new ApiError(
        429,
        `Rate limit reached for ${rateLimitGroupOf(context)} requests: Limit ${limit} per ${goDuration(ttl)}, Used ${limit}, Requested 1. Please try again in ${retryAfter}s.`,
        'requests',
        null,
        'rate_limit_exceeded',
        { 'retry-after': String(retryAfter) },
      );
    }
    return true;
  }
}
