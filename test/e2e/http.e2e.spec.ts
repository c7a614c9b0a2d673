/**
 * The parts of the surface every client touches: models, voices, health, and the error envelope on every kind of
 * failure, checked through the official SDK where it can reach and raw fetch elsewhere.
 */
import OpenAI, { APIError } from 'openai';
import { startTestServer, waitUntilReady, type TestServer } from '../utils/test-server';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await waitUntilReady(server.url);
});

afterAll(() => server.close());

/** Every error body has exactly OpenAI's envelope with all four keys. */
async function expectEnvelope(response: Response, status: number, code?: string | null): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  const body = (await response.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body.error;
}

describe('models', () => {
  it('lists models and aliases in OpenAI list shape', async () => {
    const page = await server.client.models.list();
    const ids = page.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['espeak', 'tts-1', 'tts-1-hd', 'gpt-4o-mini-tts']));
    for (const model of page.data) {
      expect(model.object).toBe('model');
      expect(Number.isInteger(model.created)).toBe(true);
      expect(typeof model.owned_by).toBe('string');
    }
  });

  it('retrieves a model and an alias', async () => {
    expect(await server.client.models.retrieve('espeak')).toMatchObject({ id: 'espeak', object: 'model', owned_by: 'espeak-ng' });
    expect(await server.client.models.retrieve('tts-1')).toMatchObject({ id: 'tts-1', object: 'model', alias_of: 'espeak' });
  });

  it('answers NotFoundError model_not_found for an unknown model', async () => {
    const error = await server.client.models.retrieve('gpt-nothing').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as APIError).code).toBe('model_not_found');
  });

  it('does not list whisper-1 while no speech-to-text model is installed', async () => {
    const ids = (await server.client.models.list()).data.map((model) => model.id);
    expect(ids).not.toContain('whisper-1');
  });
});

describe('voices', () => {
  it('lists every voice with the models it works with', async () => {
    const body = (await (await fetch(`${server.url}/v1/audio/voices`)).json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(body.object).toBe('list');
    const ids = body.data.map((voice) => voice.id);
    for (const voice of ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer', 'verse', 'marin', 'cedar', 'dan', 'ghost']) {
      expect(ids).toContain(voice);
    }
    const alloy = body.data.find((voice) => voice.id === 'alloy')!;
    expect(alloy.models).toEqual(expect.arrayContaining(['espeak', 'tts-1']));
    expect((alloy.languages as string[]).length).toBeGreaterThan(0);
    expect(typeof alloy.name).toBe('string');
  });

  it('filters by model, and 404s for an unknown one', async () => {
    const filtered = (await (await fetch(`${server.url}/v1/audio/voices?model=tts-1`)).json()) as { data: unknown[] };
    expect(filtered.data.length).toBeGreaterThanOrEqual(15);
    await expectEnvelope(await fetch(`${server.url}/v1/audio/voices?model=nope`), 404, 'model_not_found');
  });
});

describe('health', () => {
  it('is alive and ready', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});

describe('errors have OpenAI envelope everywhere', () => {
  it('404 for an unknown route, also through the SDK', async () => {
    const error = await expectEnvelope(await fetch(`${server.url}/v1/nothing/here`, { method: 'POST' }), 404, 'unknown_url');
    expect(error.message).toBe('Invalid URL (POST /v1/nothing/here)');
    const sdkError = await server.client.get('/nothing').catch((caught: unknown) => caught);
    expect(sdkError).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('405 with Allow for a wrong method', async () => {
    const response = await fetch(`${server.url}/v1/audio/speech`, { method: 'GET' });
    expect(response.headers.get('allow')).toBe('POST');
    await expectEnvelope(response, 405, 'method_not_allowed');
  });

  it('415 for a body that is not JSON on the speech route', async () => {
    const response = await fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    await expectEnvelope(response, 415, 'unsupported_media_type');
  });

  it('415 for JSON sent to the upload route', async () => {
    const response = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"whisper-1"}' });
    await expectEnvelope(response, 415, 'unsupported_media_type');
  });

  it('400 invalid_json for malformed JSON', async () => {
    const response = await fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' });
    await expectEnvelope(response, 400, 'invalid_json');
  });

  it('400 for a JSON body that is not an object', async () => {
    const response = await fetch(`${server.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["tts-1"]' });
    await expectEnvelope(response, 400);
  });

  it('413 for a JSON body over the limit', async () => {
    const response = await fetch(`${server.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: 'x'.repeat(9 * 1024 * 1024) }),
    });
    await expectEnvelope(response, 413, 'request_too_large');
  });

  it('keeps a sane caller request id and replaces a hostile one', async () => {
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
    const replaced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });
});
