import { Logger } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import type { NextFunction, Request, Response } from 'express';
import { EngineService } from './engine/engine.service';
import { HttpDrain } from './http/drain';
import { createRootLogger, httpLogger, requestLogContext } from './logging/logger';
import { rejectDeepJson } from './http/json-depth';
import { answerUnparseableRequests } from './http/unparseable-requests';
import { bodyParserError } from './http/openai-error';
import { metricsMiddleware } from './metrics/metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { ApiKeys } from './security/api-keys';
import { apiKeyAuth } from './security/auth.middleware';
import { applyTimeouts, enableCors, securityHeaders } from './security/http-hardening';
import { OpenAIErrorFilter } from './http/openai-error.filter';
import { requestId } from './http/request-id.middleware';
import { createValidationPipe } from './http/validation';
import { mountSwagger } from './swagger';

export interface CreateAppOptions {
  /** false: log nothing (tests that do not look at logs). */
  logger?: boolean;
  /** Where the JSON log lines go instead of stdout (tests that read them). */
  logDestination?: DestinationStream;
}

/** Builds the application (not yet listening). Used by main.ts, the tests and the OpenAPI generator alike. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const log = createRootLogger(options.logger === false ? 'silent' : config.LOG_LEVEL, options.logDestination);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, log), { bodyParser: false, bufferLogs: true });
  // Nest's Logger (engine, plugins, filters) writes through pino from here on, with the request id in context.
  app.useLogger(app.get(PinoNestLogger));
  // First of all, so even a body the parser rejects gets its request id, and every log line of the request carries it.
  app.use(requestId);
  app.use(httpLogger(log, config.LOG_CONTENT));
  app.use(requestLogContext);
  if (config.TRUST_PROXY !== false) app.set('trust proxy', config.TRUST_PROXY);
  app.use(securityHeaders());
  // Before the key check: a browser's CORS preflight never carries the key.
  enableCors(app, config.CORS_ORIGINS);
  applyTimeouts(app.getHttpServer(), config);
  const drain = new HttpDrain();
  app.use(drain.middleware);
  const engine = app.get(EngineService);
  app.use(metricsMiddleware(app.get(MetricsService), (id) => engine.registry.has(id)));
  app.use(apiKeyAuth(apiKeys(config), config.PUBLIC_PATHS));
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

function apiKeys(config: AppConfig): ApiKeys {
  const keys = new ApiKeys(config.API_KEYS, config.API_KEYS_FILE);
  const logger = new Logger('Security');
  if (keys.open) {
    logger.warn(
      'NO API KEYS CONFIGURED: the API is OPEN to anyone who can reach this port. Set API_KEYS or API_KEYS_FILE before exposing it beyond localhost.',
    );
  } else {
    logger.log(`API keys required (${keys.count} accepted); open without a key: ${config.PUBLIC_PATHS.join(', ') || 'nothing'}`);
  }
  return keys;
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
