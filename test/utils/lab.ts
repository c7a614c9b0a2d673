import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LAB_EVENTS_FILE, type LabEvent } from '../fixtures/plugins/lab/plugin';
import { FIXTURE_PLUGINS, startTestServer, type TestServer } from './test-server';

export interface Lab {
  server: TestServer;
  dir: string;
  events(): LabEvent[];
  speak(model: string, extra?: Record<string, unknown>, signal?: AbortSignal): Promise<Response>;
  close(): Promise<void>;
}

/** A server with the lab plugin, its events file in a fresh temp MODELS_DIR. */
export async function startLab(env: Record<string, string> = {}): Promise<Lab> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-lab-'));
  const server = await startTestServer({ PLUGIN_DIRS: path.join(FIXTURE_PLUGINS), MODELS_DIR: dir, PRELOAD_MODELS: '', ...env });
  const file = path.join(dir, LAB_EVENTS_FILE);
  return {
    server,
    dir,
    events: () =>
      fs.existsSync(file)
        ? fs
            .readFileSync(file, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as LabEvent)
        : [],
    speak: (model, extra = {}, signal) =>
      fetch(`${server.url}/v1/audio/speech`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, voice: 'lab', input: 'x', response_format: 'pcm', ...extra }),
        signal,
      }),
    close: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `predicate` holds (for events that happen in another thread). */
export async function waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
