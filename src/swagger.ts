import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** The OpenAPI document, generated from the controllers and DTOs (committed as openapi/openapi.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Audio Pollinations')
    .setDescription(
      'OpenAI-compatible audio API: speech-to-text, text-to-speech, voice cloning, and speech-to-speech chat completions (replies by an upstream LLM). Point the official `openai` SDK at `<server>/v1`. ' +
        'POST /generate serves the original Audio Pollinations request. ' +
        'Every error is `{"error":{"message","type","param","code"}}`. When the server has API keys configured, send one as ' +
        '`Authorization: Bearer <key>` (the SDK\'s `apiKey`); rate-limited responses carry `x-ratelimit-*-requests` headers.',
    )
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .setLicense('GPL-3.0-or-later', 'https://www.gnu.org/licenses/gpl-3.0.html')
    // An API key, not a JWT: the default bearerFormat would say otherwise.
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: undefined, description: 'An API key from API_KEYS or API_KEYS_FILE.' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function mountSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'Audio Pollinations API',
  });
}
