import { SetMetadata } from '@nestjs/common';

/** One route family's budget: `limit` requests per `windowMs`, counted per API key (or client IP when open). */
export interface RateLimitPolicy {
  limit: number;
  windowMs: number;
  /** As the operator wrote it, e.g. `60/1m`, for messages. */
  text: string;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * `N/WINDOW`: N requests per WINDOW, a whole number with a unit (ms, s, m, h), e.g. `60/1m`, `5/10s`, `1000/1h`;
 * `off` for no limit. Returns null for `off`.
 */
export function parseRateLimit(raw: string): RateLimitPolicy | null {
  if (/^(off|none|0)$/i.test(raw)) return null;
  const match = /^(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)$/.exec(raw);
  if (!match) throw new Error("expected N/WINDOW, e.g. 60/1m, 5/10s, 1000/1h (units ms, s, m, h), or 'off'");
  const limit = Number(match[1]);
  const windowMs = Number(match[2]) * UNIT_MS[match[3] as keyof typeof UNIT_MS];
  if (limit < 1 || windowMs < 1) throw new Error('the limit and the window must both be at least 1');
  return { limit, windowMs, text: raw };
}

/** A duration as OpenAI's x-ratelimit-reset-* headers write it (Go's format): `20ms`, `1.2s`, `6m0s`, `1h2m3s`. */
export function goDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total < 1000) return `${total}ms`;
  if (total < 60_000) return `${Number((total / 1000).toFixed(3))}s`;
  const seconds = Math.round(total / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${hours > 0 ? `${hours}h` : ''}${minutes}m${seconds % 60}s`;
}

/** Which budget a controller or route draws from. */
export type RateLimitGroup = 'speech' | 'transcription' | 'default';

export const RATE_LIMIT_GROUP = 'audio-pollinations:rate-limit-group';

/** Puts a controller or route in a rate-limit group (routes without one are in `default`). */
export const RateLimited = (group: RateLimitGroup): ClassDecorator & MethodDecorator => SetMetadata(RATE_LIMIT_GROUP, group);
