/**
 * SIGTERM against the real entry point (dist/src/main.js in a child process): new requests get 503 at once, the
 * request in flight finishes, then the process exits 0.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/env.schema';
import { FIXTURE_PLUGINS } from '../utils/test-server';

const MAIN = path.join(PROJECT_ROOT, 'dist', 'src', 'main.js');

function speak(url: string, extra: Record<string, unknown>) {
  return fetch(`${url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'lab-sleep', voice: 'lab', input: 'x', response_format: 'pcm', ...extra }),
  });
}

it('drains on SIGTERM: 503 for new requests, in-flight work completes, exit code 0', async () => {
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-shutdown-'));
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', PLUGIN_DIRS: FIXTURE_PLUGINS, MODELS_DIR: modelsDir, PRELOAD_MODELS: 'lab-sleep', WORKERS_PER_DEVICE: '1', SHUTDOWN_GRACE_MS: '20000', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Listening on (http:\/\/[\d.:]+)/.exec(output);
        if (match) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`server exited early:\n${output}`)));
    });
    while ((await fetch(`${url}/readyz`)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));

    const inFlight = speak(url, { sleep_ms: 1500 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await speak(url, { sleep_ms: 0 });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('shutting_down');

    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect((await finished.arrayBuffer()).byteLength).toBe(4800);
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(modelsDir, { recursive: true, force: true });
  }
});
