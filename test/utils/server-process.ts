import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const MAIN = path.join(__dirname, '..', '..', 'src', 'main.js');

/**
 * The real server as an operator runs it (`node dist/src/main.js`), in its own process, with every byte it writes
 * to stdout and stderr kept for the test to read.
 */
export class ServerProcess {
  stdout = '';
  stderr = '';
  url = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  private constructor(env: Record<string, string>) {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(API_KEYS|REDIS_URL|LOG_|PORT|HOST)/.test(name)));
    this.child = spawn(process.execPath, [MAIN], { env: { ...inherited, HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Starts the server and waits for its "Listening on" line. */
  static async start(env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
    const server = new ServerProcess(env);
    const deadline = Date.now() + timeoutMs;
    while (!server.url) {
      const match = /"msg":"Listening on (http:\/\/[^ "]+)/.exec(server.stdout);
      if (match) server.url = match[1].replace('[::1]', '127.0.0.1');
      else if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`server did not start:\n${server.stdout}\n${server.stderr}`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return server;
  }

  /** SIGTERM (the graceful drain), then the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** Every JSON line written to stdout. */
  lines(): Array<Record<string, unknown>> {
    return this.stdout
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
