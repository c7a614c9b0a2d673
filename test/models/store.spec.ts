/**
 * After a pull: `list` shows what is installed, `verify` notices any file changed since, `rm` removes only what
 * this command pulled and never anything outside MODELS_DIR.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeHub } from './fake-hub';
import { FIXTURE_REPO, runCli, tempModelsDir, whisperFixtureFiles } from './fixture-repo';

describe('models list, verify and rm', () => {
  const files = whisperFixtureFiles();
  let hub: FakeHub;
  let modelsDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    hub = await FakeHub.start({ repo: FIXTURE_REPO, files });
  });
  afterAll(() => hub.close());
  beforeEach(async () => {
    modelsDir = tempModelsDir();
    env = { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url };
    expect((await runCli(['pull', FIXTURE_REPO], env)).code).toBe(0);
    expect((await runCli(['pull', FIXTURE_REPO, '--dtype', 'q8', '--as', 'fixture-q8'], env)).code).toBe(0);
  });
  afterEach(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

  it('lists each folder with its size, repo, dtype and verification state', async () => {
    fs.mkdirSync(path.join(modelsDir, 'copied-by-hand'));
    fs.writeFileSync(path.join(modelsDir, 'copied-by-hand', 'config.json'), '{}');
    const run = await runCli(['list'], env);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FOLDER\s+SIZE\s+REPO\s+DTYPE\s+VERIFIED$/);
    expect(lines[1]).toMatch(/^copied-by-hand\s+2 B\s+-\s+-\s+unknown \(no manifest\)$/);
    expect(lines[2]).toMatch(/^fixture-q8\s+\S+ kB\s+test-org\/whisper-fixture\s+q8\s+ok \d{4}-/);
    expect(lines[3]).toMatch(/^whisper-fixture\s+\S+ kB\s+test-org\/whisper-fixture\s+fp32\s+ok \d{4}-/);
  });

  it('says a half-finished pull is incomplete', async () => {
    fs.writeFileSync(path.join(modelsDir, 'whisper-fixture', 'onnx', 'extra.onnx.part'), 'x');
    const run = await runCli(['list'], env);
    expect(run.stdout).toMatch(/whisper-fixture .* incomplete \(pull again to resume\)/);
  });

  it('verifies untouched folders with exit code 0', async () => {
    const run = await runCli(['verify'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('whisper-fixture: ok');
    expect(run.stdout).toContain('fixture-q8: ok');
  });

  it('names each file changed or missing since the pull, exits 1, and list shows the failure', async () => {
    const folder = path.join(modelsDir, 'whisper-fixture');
    const decoder = path.join(folder, 'onnx', 'decoder_model_merged.onnx');
    const bytes = fs.readFileSync(decoder);
    bytes[bytes.length - 1] ^= 0x55; // same size: only the hash can tell
    fs.writeFileSync(decoder, bytes);
    fs.rmSync(path.join(folder, 'tokenizer.json'));

    const run = await runCli(['verify', 'whisper-fixture'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('whisper-fixture: FAILED');
    expect(run.stdout).toContain('onnx/decoder_model_merged.onnx: sha256 differs');
    expect(run.stdout).toContain('tokenizer.json: missing');
    expect(run.stdout).not.toContain('encoder_model.onnx:');

    const list = await runCli(['list'], env);
    expect(list.stdout).toMatch(/whisper-fixture .* FAILED \S+: tokenizer.json, onnx\/decoder_model_merged.onnx/);
    // The other folder is unaffected.
    expect((await runCli(['verify', 'fixture-q8'], env)).code).toBe(0);
  });

  it('refuses to verify a folder it has no manifest for', async () => {
    fs.mkdirSync(path.join(modelsDir, 'copied-by-hand'));
    const run = await runCli(['verify', 'copied-by-hand'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('no .model.json');
  });

  it('removes a pulled folder', async () => {
    const run = await runCli(['rm', 'fixture-q8'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Removed .*fixture-q8 \(\S+ kB\)/);
    expect(fs.existsSync(path.join(modelsDir, 'fixture-q8'))).toBe(false);
    expect(fs.existsSync(path.join(modelsDir, 'whisper-fixture', '.model.json'))).toBe(true);
  });

  it('refuses paths that leave MODELS_DIR, and folders it did not pull', async () => {
    const outside = fs.mkdtempSync(path.join(path.dirname(modelsDir), 'ap-outside-'));
    fs.writeFileSync(path.join(outside, '.model.json'), '{}');
    try {
      for (const name of [`../${path.basename(outside)}`, outside, '.', '..', 'whisper-fixture/onnx']) {
        const run = await runCli(['rm', name], env);
        expect([name, run.code]).toEqual([name, 2]);
      }
      expect(fs.existsSync(outside)).toBe(true);

      fs.mkdirSync(path.join(modelsDir, 'copied-by-hand'));
      const notOurs = await runCli(['rm', 'copied-by-hand'], env);
      expect(notOurs.code).toBe(1);
      expect(notOurs.stderr).toContain('was not pulled by this command');
      expect(fs.existsSync(path.join(modelsDir, 'copied-by-hand'))).toBe(true);

      fs.symlinkSync(outside, path.join(modelsDir, 'linked'));
      const link = await runCli(['rm', 'linked'], env);
      expect(link.code).toBe(1);
      expect(fs.existsSync(path.join(outside, '.model.json'))).toBe(true);

      const missing = await runCli(['rm', 'nothing-here'], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("no model folder 'nothing-here'");
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
