/**
 * Rate limits shared through a real redis-server by two server instances (replicas), and what happens when Redis
 * goes away mid-run: both keep serving on in-memory counters, each says so once in its log, and shared counting
 * resumes (logged once) when Redis is back.
 */
import { LogCapture } from '../utils/log-capture';
import { RedisServer } from '../utils/redis-server';
import { startTestServer, type TestServer } from '../utils/test-server';

const KEY = 'sk-redis-4e5f6a7b8c9d';
const auth = { authorization: `Bearer ${KEY}` };

let redis: RedisServer;
let replicas: TestServer[];
let logs: LogCapture[];

beforeAll(async () => {
  redis = await RedisServer.start();
  logs = [new LogCapture(), new LogCapture()];
  const env = { API_KEYS: KEY, REDIS_URL: redis.url, RATE_LIMIT_DEFAULT: '4/1m', LOG_LEVEL: 'info' };
  replicas = await Promise.all(logs.map((capture) => startTestServer(env, { logs: capture })));
  // Each replica says when its Redis connection is up; requests before that would (rightly) count in memory.
  await waitFor(() => logs.every((capture) => capture.matching(/^Rate-limit counters are kept in Redis/).length === 1), 'both replicas to connect');
});

afterAll(async () => {
  await Promise.all((replicas ?? []).map((replica) => replica.close()));
  await redis?.dispose();
});

async function status(replica: TestServer): Promise<{ status: number; remaining: string | null }> {
  const response = await fetch(`${replica.url}/v1/models`, { headers: auth });
  await response.arrayBuffer();
  return { status: response.status, remaining: response.headers.get('x-ratelimit-remaining-requests') };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const fallbackLines = (capture: LogCapture) => capture.matching(/^Redis unavailable/);
const recoveryLines = (capture: LogCapture) => capture.matching(/^Redis is back/);

it('shares one budget across two replicas', async () => {
  const [a, b] = replicas;
  expect(await status(a)).toEqual({ status: 200, remaining: '3' });
  expect(await status(b)).toEqual({ status: 200, remaining: '2' });
  expect(await status(a)).toEqual({ status: 200, remaining: '1' });
  expect(await status(b)).toEqual({ status: 200, remaining: '0' });
  expect((await status(a)).status).toBe(429);
  expect((await status(b)).status).toBe(429);
  expect(logs.every((capture) => fallbackLines(capture).length === 0)).toBe(true);
});

it('keeps serving on in-memory counters when Redis goes away, and says so once per replica', async () => {
  await redis.stop();
  for (const replica of replicas) {
    // Fresh per-instance budgets: 4 each, then 429 again, so the limit still holds without Redis.
    for (const remaining of ['3', '2', '1', '0']) expect(await status(replica)).toEqual({ status: 200, remaining });
    expect((await status(replica)).status).toBe(429);
  }
  for (const capture of logs) {
    const lines = fallbackLines(capture);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', redis: expect.stringMatching(/^redis:\/\/127\.0\.0\.1:\d+$/) });
  }
});

it('shares counters again once Redis is back, and says so once', async () => {
  await redis.start();
  await waitFor(() => logs.every((capture) => recoveryLines(capture).length === 1), 'both replicas to reconnect');
  const [a, b] = replicas;
  // The restarted Redis is empty (no persistence): a new shared window.
  expect(await status(a)).toEqual({ status: 200, remaining: '3' });
  expect(await status(b)).toEqual({ status: 200, remaining: '2' });
  for (const capture of logs) {
    expect(fallbackLines(capture)).toHaveLength(1);
    expect(recoveryLines(capture)).toHaveLength(1);
  }
});
