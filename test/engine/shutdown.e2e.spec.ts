/**
 * SIGTERM against the real entry point (dist/src/main.js in a child process), under load: new requests get 503 at
 * once, every request already admitted (running or queued) finishes, then the process exits 0.
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

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

it('drains on SIGTERM under load: 503 shutting_down for new requests, every admitted one completes, exit code 0', async () => {
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-shutdown-'));
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', PLUGIN_DIRS: FIXTURE_PLUGINS, MODELS_DIR: modelsDir, PRELOAD_MODELS: 'lab-sleep', WORKERS_PER_DEVICE: '1', MAX_QUEUE: '8', SHUTDOWN_GRACE_MS: '20000', NO_COLOR: '1' },
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

    // One running on the single worker, four waiting in its queue: all admitted before the signal.
    const admitted = Array.from({ length: 5 }, (_, i) => speak(url, { sleep_ms: 400, tag: `admitted-${i}` }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // While the queue drains, a burst of new requests (speech and a lookup) is turned away at once.
    const refused = await Promise.all([...Array.from({ length: 4 }, () => speak(url, { sleep_ms: 0 })), fetch(`${url}/v1/models`)]);
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      const body = (await response.json()) as ErrorBody;
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(body.error).toMatchObject({ type: 'server_error', code: 'shutting_down' });
    }

    const finished = await Promise.all(admitted);
    expect(finished.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    for (const response of finished) expect((await response.arrayBuffer()).byteLength).toBe(4800);
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(modelsDir, { recursive: true, force: true });
  }
});
