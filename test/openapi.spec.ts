import * as fs from 'node:fs';
import { generateOpenApi, OPENAPI_FILE } from '../scripts/generate-openapi';

describe('openapi/openapi.json', () => {
  it('matches what the app generates (run `npm run openapi` after changing routes or DTOs)', async () => {
    const committed = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(await generateOpenApi()).toBe(committed);
  });

  it('documents every OpenAI route with the error envelope', async () => {
    const document = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
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
      const operation = document.paths[route]?.[method];
      expect(operation).toBeDefined();
      expect(operation.responses['500']).toBeDefined();
    }
    // The routes that call the upstream LLM document its failures.
    for (const route of ['/v1/chat/completions', '/generate']) {
      expect(document.paths[route].post.responses['502']).toBeDefined();
      expect(document.paths[route].post.responses['504']).toBeDefined();
    }
  });
});
