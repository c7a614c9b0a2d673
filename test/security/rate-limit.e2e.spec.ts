/**
 * Rate limits (in-memory counters): OpenAI's x-ratelimit-*-requests headers on every limited response, 429
 * rate_limit_exceeded with Retry-After (the SDK's RateLimitError), budgets per API key and per route group,
 * per client IP when open, and X-Forwarded-For only when TRUST_PROXY says so.
 */
import OpenAI, { APIError } from 'openai';
import { startTestServer, type TestServer } from '../utils/test-server';

const ALPHA = 'sk-rate-alpha-1a2b3c4d5e';
const BETA = 'sk-rate-beta-6f7a8b9c0d';

let keyed: TestServer;
let open: TestServer;
let proxied: TestServer;

beforeAll(async () => {
  [keyed, open, proxied] = await Promise.all([
    startTestServer({ API_KEYS: `${ALPHA},${BETA}`, RATE_LIMIT_DEFAULT: '3/1m', RATE_LIMIT_SPEECH: '2/1m', RATE_LIMIT_TRANSCRIPTION: '1/1m' }),
    startTestServer({ RATE_LIMIT_DEFAULT: '2/1m' }),
    startTestServer({ RATE_LIMIT_DEFAULT: '2/1m', TRUST_PROXY: 'loopback' }),
  ]);
});

afterAll(() => Promise.all([keyed?.close(), open?.close(), proxied?.close()]));

function get(server: TestServer, route: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${route}`, { headers });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('with API keys', () => {
  it('counts down in OpenAI headers, then answers 429 rate_limit_exceeded with Retry-After', async () => {
    for (const remaining of ['2', '1', '0']) {
      const response = await get(keyed, '/v1/models', bearer(ALPHA));
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe(remaining);
      expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+(\.\d+)?(ms|s)|(\d+h)?\d+m\d+s)$/);
    }
    const refused = await get(keyed, '/v1/audio/voices', bearer(ALPHA));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const body = (await refused.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'requests', param: null, code: 'rate_limit_exceeded' });
    expect(String(body.error.message)).toMatch(/^Rate limit reached for default requests: Limit 3 per 1m0s/);
  });

  it('is a RateLimitError through the official SDK', async () => {
    const client = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: ALPHA, maxRetries: 0 });
    const error = await client.models.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as APIError).code).toBe('rate_limit_exceeded');
    expect((error as APIError).headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('gives each key its own budget', async () => {
    const response = await get(keyed, '/v1/models', bearer(BETA));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
  });

  it('gives speech its own budget, separate from the exhausted default one', async () => {
    const client = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: ALPHA, maxRetries: 0 });
    const { response } = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Within budget.', response_format: 'wav' }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
  });

  it('shares one budget between transcriptions and translations, and counts failed requests too', async () => {
    const upload = () => {
      const form = new FormData();
      form.append('model', 'whisper-1');
      form.append('file', new Blob([new Uint8Array(64)]), 'clip.wav');
      return form;
    };
    const first = await fetch(`${keyed.url}/v1/audio/transcriptions`, { method: 'POST', headers: bearer(BETA), body: upload() });
    expect(first.status).not.toBe(429);
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const second = await fetch(`${keyed.url}/v1/audio/translations`, { method: 'POST', headers: bearer(BETA), body: upload() });
    expect(second.status).toBe(429);
  });

  it('never limits health and readiness probes', async () => {
    for (let i = 0; i < 6; i++) {
      const response = await get(keyed, '/healthz');
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit-requests')).toBeNull();
    }
  });
});

describe('without API keys', () => {
  it('counts per client IP and ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    expect((await get(open, '/v1/models', { 'x-forwarded-for': '203.0.113.1' })).status).toBe(200);
    expect((await get(open, '/v1/models', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(200);
    // A third "client" that only differs by a header it wrote itself is still the same socket address.
    expect((await get(open, '/v1/models', { 'x-forwarded-for': '203.0.113.3' })).status).toBe(429);
  });

  it('counts per forwarded client behind a trusted proxy', async () => {
    const first = { 'x-forwarded-for': '198.51.100.7' };
    expect((await get(proxied, '/v1/models', first)).status).toBe(200);
    expect((await get(proxied, '/v1/models', first)).status).toBe(200);
    expect((await get(proxied, '/v1/models', first)).status).toBe(429);
    const second = await get(proxied, '/v1/models', { 'x-forwarded-for': '198.51.100.8' });
    expect(second.status).toBe(200);
    expect(second.headers.get('x-ratelimit-remaining-requests')).toBe('1');
  });
});
