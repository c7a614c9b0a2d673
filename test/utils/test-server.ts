import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import OpenAI from 'openai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DestinationStream } from 'pino';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';

/** Compiled test fixtures: plugins that only tests load. */
export const FIXTURE_PLUGINS = path.join(__dirname, '..', 'fixtures', 'plugins');

export interface TestServer {
  app: NestExpressApplication;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The official SDK pointed at this server, with retries off so each call is one request. */
  client: OpenAI;
  close(): Promise<void>;
}

/** A real server listening on a free loopback port, configured like production plus `env`. */
export async function startTestServer(env: Record<string, string> = {}, options: { logs?: DestinationStream } = {}): Promise<TestServer> {
  // Rate limits are off unless a test sets them: suites fire more requests than a production budget allows.
  // Cloned voices go to a private folder removed at close, never into the checkout's voices/.
  const voicesDir = env.VOICES_DIR ? undefined : mkdtempSync(path.join(tmpdir(), 'test-voices-'));
  const config = loadConfig({
    LOG_LEVEL: 'error',
    RATE_LIMIT_SPEECH: 'off',
    RATE_LIMIT_TRANSCRIPTION: 'off',
    RATE_LIMIT_DEFAULT: 'off',
    ...(voicesDir ? { VOICES_DIR: voicesDir } : {}),
    ...env,
  });
  const app = await createApp(config, options.logs ? { logDestination: options.logs } : { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  // With API_KEYS set, the client presents the first one; an open server ignores whatever it sends.
  const apiKey = env.API_KEYS?.split(',')[0]?.trim() || 'test-key';
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
  const close = async () => {
    await app.close();
    if (voicesDir) rmSync(voicesDir, { recursive: true, force: true });
  };
  return { app, url, client, close };
}

/** Waits until /readyz says the preloaded models are in. */
export async function waitUntilReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await fetch(`${url}/readyz`)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('server did not become ready');
}
