/**
 * API keys: Bearer keys from API_KEYS and from a file of sha256 digests, OpenAI's 401 envelope for a missing and a
 * wrong key (through the official SDK and raw fetch), PUBLIC_PATHS, and an open server when no key is set.
 */
import OpenAI, { APIError } from 'openai';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256Hex } from '../../src/security/api-keys';
import { startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

const ALPHA = 'sk-alpha-3f9c2b7e1d8a4c6f';
const BETA = 'sk-beta-7a1e9d3c5b2f8e4a';
const FROM_FILE = 'sk-file-5c8e2a9f1b7d3e6c';

let secured: TestServer;
let docsOpen: TestServer;
let open: TestServer;
let tempDir: string;

beforeAll(async () => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-auth-'));
  const keyFile = path.join(tempDir, 'keys.sha256');
  fs.writeFileSync(keyFile, `# one digest per line\n${sha256Hex(FROM_FILE)}\n\n`);
  [secured, docsOpen, open] = await Promise.all([
    startTestServer({ API_KEYS: `${ALPHA}, ${BETA}`, API_KEYS_FILE: keyFile }),
    startTestServer({ API_KEYS: ALPHA, PUBLIC_PATHS: '/healthz,/docs,/openapi.json,/metrics' }),
    startTestServer(),
  ]);
  await waitUntilReady(open.url);
});

afterAll(async () => {
  await Promise.all([secured?.close(), docsOpen?.close(), open?.close()]);
  fs.rmSync(tempDir, { recursive: true, force: true });
});

function clientWith(server: TestServer, apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });
}

async function errorOf(response: Response): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  const body = (await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

describe('with API keys', () => {
  it('serves every configured key, plain or from the digest file, through the official SDK', async () => {
    for (const key of [ALPHA, BETA, FROM_FILE]) {
      const models = await clientWith(secured, key).models.list();
      expect(models.data.map((model) => model.id)).toContain('tts-1');
    }
    const speech = await clientWith(secured, FROM_FILE).audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Key accepted.', response_format: 'wav' });
    expect((await speech.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  });

  it('answers a wrong key with AuthenticationError invalid_api_key, without echoing the key', async () => {
    const wrongKey = 'sk-wrong-0000111122223333';
    const error = await clientWith(secured, wrongKey)
      .audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Should not be spoken.' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as APIError).status).toBe(401);
    expect((error as APIError).code).toBe('invalid_api_key');
    expect((error as APIError).type).toBe('invalid_request_error');
    expect((error as APIError).message).toMatch(/^401 Incorrect API key provided: \*+3333\./);
    expect((error as APIError).message).not.toContain(wrongKey);
  });

  it('answers a missing key with 401, code null, OpenAI message and WWW-Authenticate', async () => {
    const response = await fetch(`${secured.url}/v1/models`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
    expect(error.message).toMatch(/^You didn't provide an API key/);
  });

  it('treats a non-Bearer Authorization as missing, and a wrong Bearer key as invalid', async () => {
    const basic = await fetch(`${secured.url}/v1/models`, { headers: { authorization: `Basic ${Buffer.from(`:${ALPHA}`).toString('base64')}` } });
    expect((await errorOf(basic)).code).toBeNull();
    const wrong = await fetch(`${secured.url}/v1/models`, { headers: { authorization: `Bearer ${ALPHA}x` } });
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).code).toBe('invalid_api_key');
    const digestAsKey = await fetch(`${secured.url}/v1/models`, { headers: { authorization: `Bearer ${sha256Hex(FROM_FILE)}` } });
    expect((await errorOf(digestAsKey)).code).toBe('invalid_api_key');
  });

  it('guards uploads, unknown URLs, the docs and the metrics too', async () => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([new Uint8Array(100)]), 'clip.wav');
    expect((await fetch(`${secured.url}/v1/audio/transcriptions`, { method: 'POST', body: form })).status).toBe(401);
    expect((await fetch(`${secured.url}/v1/nothing`)).status).toBe(401);
    for (const route of ['/docs', '/docs/swagger-ui.css', '/openapi.json', '/metrics']) {
      expect({ route, status: (await fetch(`${secured.url}${route}`)).status }).toEqual({ route, status: 401 });
      const withKey = await fetch(`${secured.url}${route}`, { headers: { authorization: `Bearer ${BETA}` } });
      expect({ route, status: withKey.status }).toEqual({ route, status: 200 });
    }
  });

  it('keeps the default PUBLIC_PATHS (/healthz, /readyz) open', async () => {
    expect((await fetch(`${secured.url}/healthz`)).status).toBe(200);
    expect([200, 503]).toContain((await fetch(`${secured.url}/readyz`)).status);
  });

  it('opens exactly the configured PUBLIC_PATHS and what lies under them', async () => {
    for (const route of ['/healthz', '/docs', '/docs/swagger-ui.css', '/openapi.json', '/metrics']) {
      expect({ route, status: (await fetch(`${docsOpen.url}${route}`)).status }).toEqual({ route, status: 200 });
    }
    for (const route of ['/readyz', '/docsx', '/v1/models']) {
      expect({ route, status: (await fetch(`${docsOpen.url}${route}`)).status }).toEqual({ route, status: 401 });
    }
  });
});

/** A GET whose path is sent exactly as written (fetch would resolve `..` before sending). */
function rawGet(server: TestServer, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: Number(new URL(server.url).port), path: rawPath }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

describe('public paths cannot be used as a way round the key', () => {
  it('never serves a protected route through a public prefix, dot segments or case tricks', async () => {
    for (const rawPath of ['/docs/../v1/models', '/docs/..%2Fv1/models', '/docs/%2e%2e/v1/models', '/healthz/../v1/models', '/HEALTHZ/../V1/MODELS', '/V1/MODELS']) {
      const { status, body } = await rawGet(docsOpen, rawPath);
      expect({ rawPath, served: status === 200 && body.includes('"object":"list"') }).toEqual({ rawPath, served: false });
    }
  });
});

describe('without API keys', () => {
  it('is open: any or no Authorization header is served', async () => {
    expect((await fetch(`${open.url}/v1/models`)).status).toBe(200);
    expect((await clientWith(open, 'anything').models.list()).data.length).toBeGreaterThan(0);
  });
});
