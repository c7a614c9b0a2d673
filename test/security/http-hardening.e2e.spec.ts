/**
 * The HTTP edge: CORS only for CORS_ORIGINS, helmet's security headers without breaking Swagger UI, and slow-client
 * timeouts (408) on the Node server.
 */
import * as net from 'node:net';
import { loadConfig } from '../../src/config/app-config';
import { startTestServer, type TestServer } from '../utils/test-server';

const APP = 'https://app.example';
const KEY = 'sk-cors-0a1b2c3d4e5f';

let plain: TestServer;
let cors: TestServer;
let strict: TestServer;

beforeAll(async () => {
  [plain, cors, strict] = await Promise.all([
    startTestServer(),
    startTestServer({ CORS_ORIGINS: `${APP},http://localhost:3000`, API_KEYS: KEY }),
    startTestServer({ HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_REQUEST_TIMEOUT_MS: '800' }),
  ]);
});

afterAll(() => Promise.all([plain?.close(), cors?.close(), strict?.close()]));

function preflight(server: TestServer, origin: string): Promise<Response> {
  return fetch(`${server.url}/v1/audio/speech`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stainless-os' },
  });
}

describe('CORS', () => {
  it('grants no origin by default', async () => {
    expect((await preflight(plain, APP)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${plain.url}/v1/models`, { headers: { origin: APP } })).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a listed origin’s preflight without asking for the key, and exposes the headers clients read', async () => {
    const response = await preflight(cors, APP);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    const actual = await fetch(`${cors.url}/v1/models`, { headers: { origin: APP, authorization: `Bearer ${KEY}` } });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBe(APP);
    expect(actual.headers.get('access-control-expose-headers')).toContain('x-request-id');
    expect(actual.headers.get('access-control-expose-headers')).toContain('x-ratelimit-remaining-requests');
  });

  it('grants nothing to an origin that is not listed', async () => {
    expect((await preflight(cors, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const actual = await fetch(`${cors.url}/v1/models`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${KEY}` } });
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses an origin with a path at start', () => {
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example/path' })).toThrow(/CORS_ORIGINS/);
  });
});

describe('security headers', () => {
  it('sends helmet’s headers on API responses and errors alike', async () => {
    for (const response of [await fetch(`${plain.url}/v1/models`), await fetch(`${plain.url}/v1/nothing`)]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('keeps Swagger UI loadable under its Content-Security-Policy', async () => {
    const page = await fetch(`${plain.url}/docs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    const html = await page.text();
    // Every script is a same-origin file (script-src 'self' forbids inline ones); the inline <style> needs 'unsafe-inline'.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\.\/docs\//);
      expect(body.trim()).toBe('');
    }
    if (/<style>/.test(html)) expect(csp).toMatch(/style-src [^;]*'unsafe-inline'/);
    const assets = [...html.matchAll(/(?:src|href)="\.\/(docs\/[^"]+)"/g)].map((match) => match[1]);
    expect(assets).toEqual(expect.arrayContaining(['docs/swagger-ui-bundle.js', 'docs/swagger-ui-init.js', 'docs/swagger-ui.css']));
    for (const asset of assets) expect({ asset, status: (await fetch(`${plain.url}/${asset}`)).status }).toEqual({ asset, status: 200 });
  });
});

describe('slow clients', () => {
  /** Writes `payload` and then stalls; resolves with what the server sent before it closed the socket. */
  function stall(server: TestServer, payload: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write(payload));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
    });
  }

  it('answers 408 and closes when the headers never finish', async () => {
    expect(await stall(strict, 'POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n')).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answers 408 and closes when the body never finishes', async () => {
    const head = 'POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    expect(await stall(strict, `${head}{"model":"tts-1",`)).toMatch(/^HTTP\/1\.1 408/);
  });

  it('still serves a request that arrives in time', async () => {
    expect((await fetch(`${strict.url}/v1/models`)).status).toBe(200);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS must not exceed/);
  });
});
