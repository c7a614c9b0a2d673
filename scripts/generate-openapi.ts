/**
 * Writes openapi/openapi.json from the code (`npm run openapi`). A test fails when the committed file differs
 * from what the app generates, so the published contract never drifts from the server.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { PROJECT_ROOT } from '../src/config/env.schema';
import { buildOpenApiDocument } from '../src/swagger';

export const OPENAPI_FILE = path.join(PROJECT_ROOT, 'openapi', 'openapi.json');

/** The document as committed: stable key order, trailing newline. */
export async function generateOpenApi(): Promise<string> {
  // Only the built-in plugins shape the document; a machine's extra plugins or installed models must not.
  const app = await createApp(loadConfig({ PRELOAD_MODELS: '' }), { logger: false });
  try {
    await app.init();
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  void generateOpenApi().then((text) => {
    fs.mkdirSync(path.dirname(OPENAPI_FILE), { recursive: true });
    fs.writeFileSync(OPENAPI_FILE, text);
    console.log(`Wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
  });
}
