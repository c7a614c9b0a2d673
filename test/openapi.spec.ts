import * as fs from 'node:fs';
import { generateOpenApi, OPENAPI_FILE } from '../scripts/generate-openapi';

describe('openapi/openapi.json', () => {
  it('matches what the app generates (run `npm run openapi` after changing routes or DTOs)', async () => {
    const committed = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(await generateOpenApi()).toBe(committed);
  });

  it('documents every OpenAI route with the error envelope, the bearer key and the rate limit', async () => {
    const document = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.bearer).not.toHaveProperty('bearerFormat');
    for (const [route, method] of [
      ['/v1/audio/speech', 'post'],
      ['/v1/audio/transcriptions', 'post'],
      ['/v1/audio/translations', 'post'],
      ['/v1/models', 'get'],
      ['/v1/models/{model}', 'get'],
      ['/v1/audio/voices', 'get'],
      ['/v1/chat/completions', 'post'],
      ['/generate', 'post'],
    ] as const) {
      const operation = document.paths[route]?.[method] as { responses: Record<string, { headers?: Record<string, unknown> }>; security?: unknown };
      expect(operation).toBeDefined();
      expect(operation.responses['500']).toBeDefined();
      // Bearer API key and rate limit on every API route.
      expect(operation.security).toEqual([{ bearer: [] }]);
      expect(operation.responses['401']).toBeDefined();
      expect(Object.keys(operation.responses['429'].headers ?? {})).toEqual(expect.arrayContaining(['retry-after', 'x-ratelimit-remaining-requests']));
    }
    // The routes that call the upstream LLM document its failures.
    for (const route of ['/v1/chat/completions', '/generate']) {
      const { responses } = document.paths[route].post as { responses: Record<string, unknown> };
      expect(responses['502']).toBeDefined();
      expect(responses['504']).toBeDefined();
    }
  });
});
