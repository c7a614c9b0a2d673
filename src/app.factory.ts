import { Logger, LogLevel } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import type { NextFunction, Request, Response } from 'express';
import { bodyParserError } from './http/openai-error';
import { OpenAIErrorFilter } from './http/openai-error.filter';
import { requestId } from './http/request-id.middleware';
import { createValidationPipe } from './http/validation';
import { mountSwagger } from './swagger';

const LOG_LEVELS: Record<AppConfig['LOG_LEVEL'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** Builds the application (not yet listening). Used by main.ts, the tests and the OpenAPI generator alike. */
export async function createApp(config: AppConfig, options: { logger?: boolean } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: options.logger === false ? false : LOG_LEVELS[config.LOG_LEVEL],
  });
  // First of all, so even a body the parser rejects gets its request id.
  app.use(requestId);
  app.useBodyParser('json', { limit: config.JSON_BODY_LIMIT });
  // Nest would turn a JSON syntax error into a generic 400: classify parser errors while their type is known.
  app.use((error: unknown, _request: Request, _response: Response, next: NextFunction) => next(bodyParserError(error) ?? error));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new OpenAIErrorFilter(app.get(HttpAdapterHost)));
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.enableShutdownHooks();
  if (config.DOCS_ENABLED) mountSwagger(app);
  return app;
}

export async function startServer(config: AppConfig): Promise<NestExpressApplication> {
  const app = await createApp(config);
  await app.listen(config.PORT, config.HOST);
  new Logger('Server').log(`Listening on ${await app.getUrl()} (docs: /docs)`);
  return app;
}
