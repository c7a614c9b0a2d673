import type { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * One hit, atomically: a fixed window counter that expires with its window, and a block marker set once the limit
 * is passed. KEYS[1] counter, KEYS[2] block marker; ARGV window ms, limit, block ms.
 * Returns hits, ms left in the window, blocked (0/1), ms left blocked.
 */
const HIT_SCRIPT = `
local blockedFor = redis.call('PTTL', KEYS[2])
if blockedFor > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return {hits + 1, math.max(redis.call('PTTL', KEYS[1]), 0), 1, blockedFor}
end
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, left, 1, tonumber(ARGV[3])}
end
return {hits, left, 0, 0}
`;

interface RateLimitRedis extends Redis {
  rateLimitHit(counterKey: string, blockKey: string, windowMs: number, limit: number, blockMs: number): Promise<[number, number, number, number]>;
}

/** Where a Redis URL points, without its credentials, for log lines. */
export function redisTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    return 'the configured Redis';
  }
}

/**
 * Rate-limit counters in Redis, so every replica pointed at the same Redis shares one budget per caller.
 *
 * When Redis cannot answer (down, restarting, unreachable), requests are NOT refused and NOT let through unlimited:
 * each instance falls back to its own in-memory counters (the limit then holds per replica) and says so once in
 * the log; once Redis answers again it says that once too and shared counting resumes.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly redis: RateLimitRedis;
  private readonly fallback = new ThrottlerStorageService();
  private readonly target: string;
  private degraded = false;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    this.target = redisTarget(url);
    this.redis = new Redis(url, {
      // Fail fast instead of queueing behind a dead connection: a request must never wait on Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 1000,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 250, 2000),
    }) as RateLimitRedis;
    this.redis.defineCommand('rateLimitHit', { numberOfKeys: 2, lua: HIT_SCRIPT });
    // ioredis reports every failed reconnect; one line per outage is what an operator needs.
    this.redis.on('error', (error: Error) => this.fellBack(error));
    this.redis.once('ready', () => this.log.info({ redis: this.target }, 'Rate-limit counters are kept in Redis, shared by every replica using it'));
    this.redis.on('ready', () => this.recovered());
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    if (this.redis.status === 'ready') {
      try {
        const base = `ap:rl:{${key}}`;
        const [hits, windowLeftMs, blocked, blockLeftMs] = await this.redis.rateLimitHit(`${base}:hits`, `${base}:block`, ttl, limit, blockDuration);
        this.recovered();
        return {
          totalHits: hits,
          timeToExpire: Math.ceil(windowLeftMs / 1000),
          isBlocked: blocked === 1,
          timeToBlockExpire: Math.ceil(blockLeftMs / 1000),
        };
      } catch (error) {
        this.fellBack(error as Error);
      }
    } else {
      this.fellBack(new Error(`connection ${this.redis.status}`));
    }
    return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  async close(): Promise<void> {
    this.redis.removeAllListeners('error');
    this.redis.on('error', () => undefined);
    this.redis.disconnect();
  }

  private fellBack(error: Error): void {
    if (this.degraded) return;
    this.degraded = true;
    this.log.error(
      { redis: this.target, reason: error.message },
      'Redis unavailable: rate limits fall back to in-memory counters on this instance (each replica counts on its own) until it is back',
    );
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.log.warn({ redis: this.target }, 'Redis is back: rate-limit counters are shared across replicas again');
  }
}
