import type { NextFunction, Request, Response } from 'express';
import type { MetricsService } from './metrics.service';

/**
 * Counts every response by route template (never the raw path, which clients control) and the model it asked for,
 * when that model is one the server serves.
 */
export function metricsMiddleware(metrics: MetricsService, isKnownModel: (id: string) => boolean) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const route = routeOf(request);
      const requested = (request.body as { model?: unknown } | undefined)?.model;
      const model = typeof requested === 'string' && isKnownModel(requested) ? requested : '';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.requests.inc({ route, method: request.method, status: String(response.statusCode), model });
      metrics.latency.observe({ route, method: request.method }, seconds);
    });
    next();
  };
}

function routeOf(request: Request): string {
  const template = (request.route as { path?: string } | undefined)?.path;
  return template ? `${request.baseUrl}${template}` : 'unmatched';
}
