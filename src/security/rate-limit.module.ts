import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import { OpenAIThrottlerGuard, rateLimitGroupOf } from './openai-throttler.guard';
import type { RateLimitGroup, RateLimitPolicy } from './rate-limit.policy';
import { RedisThrottlerStorage } from './redis-throttler.storage';

const REDIS_STORAGE = Symbol('REDIS_STORAGE');

/** Closes the Redis connection with the app. */
class RedisStorageCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_STORAGE) private readonly storage: RedisThrottlerStorage | undefined) {}

  async onApplicationShutdown(): Promise<void> {
    await this.storage?.close();
  }
}

/**
 * Rate limits (RATE_LIMIT_*), counted in Redis when REDIS_URL is set (shared by every replica), else in memory.
 * Routes opt out with @SkipThrottle() (health, metrics).
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig, log: Logger): DynamicModule {
    const policies: Record<RateLimitGroup, RateLimitPolicy | null> = {
      speech: config.RATE_LIMIT_SPEECH,
      transcription: config.RATE_LIMIT_TRANSCRIPTION,
      default: config.RATE_LIMIT_DEFAULT,
    };
    const policyOf = (context: ExecutionContext) => policies[rateLimitGroupOf(context)];
    const storage = config.REDIS_URL ? new RedisThrottlerStorage(config.REDIS_URL, log.child({ context: 'RateLimit' })) : undefined;
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [
            {
              name: 'default',
              // Only read for groups that have a policy: skipIf leaves the others alone.
              limit: (context) => policyOf(context)?.limit ?? Number.MAX_SAFE_INTEGER,
              ttl: (context) => policyOf(context)?.windowMs ?? 1000,
            },
          ],
          skipIf: (context) => policyOf(context) === null,
          storage,
        }),
      ],
      providers: [{ provide: REDIS_STORAGE, useValue: storage }, RedisStorageCloser, { provide: APP_GUARD, useClass: OpenAIThrottlerGuard }],
    };
  }
}

