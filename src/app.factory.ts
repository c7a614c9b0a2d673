import { Logger, LogLevel } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import type { NextFunction, Request, Response } from 'express';
import { EngineService } from './engine/engine.service';
import { HttpDrain } from './http/drain';
import { rejectDeepJson } from './http/json-depth';
import { answerUnparseableRequests } from './http/unparseable-requests';
import { bodyParserError } from './http/openai-error';
import { metricsMiddleware } from './metrics/metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
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
  const drain = new HttpDrain();
  app.use(drain.middleware);
  const engine = app.get(EngineService);
  app.use(metricsMiddleware(app.get(MetricsService), (id) => engine.registry.has(id)));
  app.useBodyParser('json', { limit: config.JSON_BODY_LIMIT });
  // Nest would turn a JSON syntax error into a generic 400: classify parser errors while their type is known.
  app.use((error: unknown, _request: Request, _response: Response, next: NextFunction) => next(bodyParserError(error) ?? error));
  app.use(rejectDeepJson);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new OpenAIErrorFilter(app.get(HttpAdapterHost)));
  app.disable('x-powered-by');
  answerUnparseableRequests(app.getHttpServer());
  app.set('query parser', 'simple');
  if (config.DOCS_ENABLED) mountSwagger(app);
  drains.set(app, drain);
  return app;
}

const drains = new WeakMap<NestExpressApplication, HttpDrain>();

/**
 * Graceful stop (SIGTERM, SIGINT): new requests get 503 at once; requests in flight, and the model work behind
 * them, get up to SHUTDOWN_GRACE_MS to finish; then the workers end and the server closes.
 */
export async function shutdown(app: NestExpressApplication, config: AppConfig): Promise<void> {
  const started = Date.now();
  await drains.get(app)?.drain(config.SHUTDOWN_GRACE_MS);
  await app.get(EngineService).drain(Math.max(0, config.SHUTDOWN_GRACE_MS - (Date.now() - started)));
  await app.close();
}

export async function startServer(config: AppConfig): Promise<NestExpressApplication> {
  const app = await createApp(config);
  await app.listen(config.PORT, config.HOST);
  const logger = new Logger('Server');
  logger.log(`Listening on ${await app.getUrl()} (docs: /docs)`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: draining for up to ${config.SHUTDOWN_GRACE_MS} ms`);
      shutdown(app, config).then(
        () => process.exit(0),
        (error: Error) => {
          logger.error(`Shutdown failed: ${error.message}`);
          process.exit(1);
        },
      );
    });
  }
  return app;
}
