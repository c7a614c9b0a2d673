/**
 * The command as people run it: `node dist/scripts/models.js` (what `npm run models --` runs after building), with
 * MODELS_DIR and HF_ENDPOINT from the environment. Exit codes and output are the contract for scripts.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeHub } from './fake-hub';
import { FIXTURE_REPO, tempModelsDir, whisperFixtureFiles } from './fixture-repo';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'models.js');

function models(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run models (the script)', () => {
  let hub: FakeHub;
  let modelsDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    hub = await FakeHub.start({ repo: FIXTURE_REPO, files: whisperFixtureFiles() });
    modelsDir = tempModelsDir();
    env = { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url };
  });
  afterAll(async () => {
    await hub.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('pulls, lists, verifies, detects tampering and removes, with exit codes 0 and 1', async () => {
    const pulled = await models(['pull', FIXTURE_REPO, '--dtype', 'q8'], env);
    expect(pulled.stderr).not.toContain('error');
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`Pulled ${FIXTURE_REPO} into ${path.join(modelsDir, 'whisper-fixture')}: 7 files`);
    // stderr is not a terminal here: one line per file, no bar.
    expect(pulled.stderr).toMatch(/^ {2}onnx\/encoder_model_quantized.onnx {2}50.0 kB downloaded$/m);
    expect(pulled.stderr).not.toContain('\r');

    const listed = await models(['list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/whisper-fixture\s+\S+ kB\s+test-org\/whisper-fixture\s+q8\s+ok/);

    expect((await models(['verify'], env)).code).toBe(0);
    fs.appendFileSync(path.join(modelsDir, 'whisper-fixture', 'config.json'), ' ');
    const verified = await models(['verify'], env);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain('config.json: size');

    const removed = await models(['rm', 'whisper-fixture'], env);
    expect(removed.code).toBe(0);
    expect(fs.existsSync(path.join(modelsDir, 'whisper-fixture'))).toBe(false);
  });

  it('exits 2 with the usage on a command line it does not understand, 0 on --help', async () => {
    for (const args of [[], ['fetch'], ['pull'], ['pull', FIXTURE_REPO, '--colour'], ['rm']]) {
      const run = await models(args, env);
      expect([args, run.code]).toEqual([args, 2]);
      expect(run.stderr).toContain('Usage: npm run models --');
    }
    const help = await models(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('pull <repo-or-alias>');
    expect((await models(['pull', '--help'], env)).code).toBe(0);
  });

  it('exits 1 with advice when the hub cannot be reached', async () => {
    const run = await models(['pull', FIXTURE_REPO], { MODELS_DIR: modelsDir, HF_ENDPOINT: 'http://127.0.0.1:9' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach http://127.0.0.1:9');
    expect(run.stderr).toContain('HF_ENDPOINT');
  });
});
