import type { INestApplication } from '@nestjs/common';
import helmet from 'helmet';
import type { Server } from 'node:http';
import type { AppConfig } from '../config/app-config';

/** Response headers a browser client may read: the ones the SDK and OpenAI's docs talk about. */
const EXPOSED_HEADERS = ['x-request-id', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests', 'retry-after'];

/**
 * Security headers (helmet). Its default Content-Security-Policy suits Swagger UI at /docs (scripts and styles are
 * same-origin files; its one inline <style> is allowed by helmet's `style-src 'unsafe-inline'`; icons are data:
 * URIs), except `upgrade-insecure-requests`: the server speaks plain HTTP behind a TLS proxy, and that directive
 * would make a browser fetch the docs' assets over https from a port that does not speak it.
 */
export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
}

/** CORS only for the origins in CORS_ORIGINS (none by default: browsers on other sites get no access). */
export function enableCors(app: INestApplication, origins: readonly string[]): void {
  if (origins.length === 0) return;
  app.enableCors({
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'POST'],
    // Keys travel in the Authorization header, never in cookies.
    credentials: false,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}

/**
 * Slow-client limits on the Node server: the headers must arrive within HTTP_HEADERS_TIMEOUT_MS and the whole
 * request (the upload included) within HTTP_REQUEST_TIMEOUT_MS, else 408 and the socket is closed. Node checks
 * these on a timer (30 s by default); a quarter of the headers timeout keeps the check in step with short limits.
 */
export function applyTimeouts(server: Server, config: Pick<AppConfig, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS'>): void {
  server.headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS;
  // Read when the server starts listening (setupConnectionsTracking), so setting it here, before listen, applies.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    50,
    Math.min(30_000, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 4)),
  );
}
