/**
 * `models pull` against a real HTTP hub on 127.0.0.1: the right files for each dtype land in Hugging Face layout,
 * with hashes checked, a manifest, restrictive permissions, pagination and redirects followed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeHub } from './fake-hub';
import { FIXTURE_REPO, contentOf, filesUnder, runCli, tempModelsDir, whisperFixtureFiles } from './fixture-repo';

const CONFIGS = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];

describe('models pull', () => {
  const files = whisperFixtureFiles();
  let hub: FakeHub;
  let modelsDir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    hub = await FakeHub.start({ repo: FIXTURE_REPO, files });
    modelsDir = tempModelsDir();
    env = { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url };
  });
  afterEach(async () => {
    await hub.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('fetches the configs and the two fp32 graphs with their sidecars, byte for byte, and nothing else', async () => {
    const run = await runCli(['pull', FIXTURE_REPO], env);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const folder = path.join(modelsDir, 'whisper-fixture');
    expect(filesUnder(folder)).toEqual(
      [
        '.model.json',
        ...CONFIGS,
        'onnx/decoder_model_merged.onnx',
        'onnx/encoder_model.onnx',
        'onnx/encoder_model.onnx_data',
        'onnx/encoder_model.onnx_data_1',
      ].sort(),
    );
    for (const file of filesUnder(folder).filter((name) => name !== '.model.json')) {
      expect(fs.readFileSync(path.join(folder, file)).equals(contentOf(files, file))).toBe(true);
    }
    expect(run.stdout).toContain(`Pulled ${FIXTURE_REPO}`);
    // The listing had to be read across pages (4 entries each) to find every file.
    expect(hub.requestsTo(`/api/models/${FIXTURE_REPO}/tree/main`).length).toBeGreaterThan(3);
    // LFS files went through the CDN redirect; git files came straight from /resolve/.
    const urls = hub.requests.map((request) => request.url);
    expect(urls.filter((url) => url === '/cdn/onnx/encoder_model.onnx_data')).toHaveLength(1);
    expect(urls.filter((url) => url.startsWith('/cdn/config.json'))).toHaveLength(0);
  });

  it('picks the _quantized graphs for --dtype q8, into the folder named by --as', async () => {
    const run = await runCli(['pull', FIXTURE_REPO, '--dtype', 'q8', '--as', 'fixture-q8'], env);
    expect(run.code).toBe(0);
    const folder = path.join(modelsDir, 'fixture-q8');
    expect(filesUnder(folder)).toEqual(['.model.json', ...CONFIGS, 'onnx/decoder_model_merged_quantized.onnx', 'onnx/encoder_model_quantized.onnx'].sort());
  });

  it('takes the fp16 sidecar with the fp16 graph, not the fp32 ones', async () => {
    expect((await runCli(['pull', FIXTURE_REPO, '--dtype', 'fp16'], env)).code).toBe(0);
    const onnx = filesUnder(path.join(modelsDir, 'whisper-fixture')).filter((file) => file.startsWith('onnx/'));
    expect(onnx).toEqual(['onnx/decoder_model_merged_fp16.onnx', 'onnx/encoder_model_fp16.onnx', 'onnx/encoder_model_fp16.onnx_data']);
  });

  it('records repo, revision, dtype and every file with its sha256 and size in .model.json', async () => {
    await runCli(['pull', FIXTURE_REPO, '--dtype', 'q8'], env);
    const manifest = JSON.parse(fs.readFileSync(path.join(modelsDir, 'whisper-fixture', '.model.json'), 'utf8'));
    expect(manifest).toMatchObject({ repo: FIXTURE_REPO, revision: 'main', dtype: 'q8', family: 'whisper', verified: { ok: true } });
    expect(Number.isNaN(Date.parse(manifest.pulled_at))).toBe(false);
    const encoder = manifest.files.find((file: { path: string }) => file.path === 'onnx/encoder_model_quantized.onnx');
    expect(encoder.size).toBe(50_000);
    expect(encoder.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.files).toHaveLength(7);
  });

  it('creates folders 0750 and files 0640, and leaves no .part behind', async () => {
    await runCli(['pull', FIXTURE_REPO], env);
    const folder = path.join(modelsDir, 'whisper-fixture');
    expect(fs.statSync(folder).mode & 0o777).toBe(0o750);
    expect(fs.statSync(path.join(folder, 'onnx')).mode & 0o777).toBe(0o750);
    for (const file of filesUnder(folder)) {
      expect([file, fs.statSync(path.join(folder, file)).mode & 0o777]).toEqual([file, 0o640]);
      expect(file.endsWith('.part')).toBe(false);
    }
  });

  it('skips files already present with the right hash, and replaces one that is not', async () => {
    await runCli(['pull', FIXTURE_REPO], env);
    const tampered = path.join(modelsDir, 'whisper-fixture', 'onnx', 'encoder_model.onnx');
    const original = fs.readFileSync(tampered);
    const changed = Buffer.from(original);
    changed[10] ^= 1;
    fs.writeFileSync(tampered, changed);
    const before = hub.requests.length;

    const again = await runCli(['pull', FIXTURE_REPO], env);
    expect(again.code).toBe(0);
    const downloads = hub.requests.slice(before).filter((request) => request.url.includes('/resolve/'));
    expect(downloads.map((request) => request.url)).toEqual([`/${FIXTURE_REPO}/resolve/main/onnx/encoder_model.onnx`]);
    expect(fs.readFileSync(tampered).equals(original)).toBe(true);
    expect(again.stdout).toContain('1 downloaded, 8 already present');
  });

  it('accepts an alias for an onnx-community repo, and names an unknown one', async () => {
    const unknown = await runCli(['pull', 'not-a-model'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("'not-a-model' is neither a repo id");
    expect(unknown.stderr).toContain('whisper-base');
    // The alias resolves to onnx-community/whisper-base, which this hub does not have: a 404 naming it.
    const alias = await runCli(['pull', 'whisper-base'], env);
    expect(alias.code).toBe(1);
    expect(alias.stderr).toContain('onnx-community/whisper-base');
  });

  it('names a dtype the repo does not have, and lists the ones it has', async () => {
    const run = await runCli(['pull', FIXTURE_REPO, '--dtype', 'q4'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no q4 weights');
    expect(run.stderr).toContain('available dtypes: fp32, fp16, q8');
    expect(fs.existsSync(path.join(modelsDir, 'whisper-fixture'))).toBe(false);
  });

  it('rejects a dtype no one knows as a usage error', async () => {
    const run = await runCli(['pull', FIXTURE_REPO, '--dtype', 'fp8'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown --dtype 'fp8'");
  });

  it('will not mix two dtypes in one folder, and says how to keep both', async () => {
    await runCli(['pull', FIXTURE_REPO], env);
    const run = await runCli(['pull', FIXTURE_REPO, '--dtype', 'q8'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('already holds test-org/whisper-fixture (fp32)');
    expect(run.stderr).toContain('--as whisper-fixture-q8');
  });

  it('says a missing repo or revision does not exist (404)', async () => {
    const repo = await runCli(['pull', 'test-org/whisper-nothing'], env);
    expect(repo.code).toBe(1);
    expect(repo.stderr).toContain('no such repo or revision: test-org/whisper-nothing@main');
    const revision = await runCli(['pull', FIXTURE_REPO, '--revision', 'v9'], env);
    expect(revision.code).toBe(1);
    expect(revision.stderr).toContain("revision 'v9' not found in test-org/whisper-fixture");
  });

  it('says to set HF_ENDPOINT to a mirror when the hub cannot be reached', async () => {
    const closed = hub.url;
    await hub.close();
    hub = await FakeHub.start({ repo: FIXTURE_REPO, files });
    const run = await runCli(['pull', FIXTURE_REPO], { ...env, HF_ENDPOINT: closed });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot reach ${closed}`);
    expect(run.stderr).toContain('HF_ENDPOINT');
  });

  it('refuses a folder name that would leave MODELS_DIR', async () => {
    const run = await runCli(['pull', FIXTURE_REPO, '--as', '../outside'], env);
    expect(run.code).toBe(2);
    expect(fs.existsSync(path.join(modelsDir, '..', 'outside'))).toBe(false);
  });
});

describe('models pull from a gated repo', () => {
  const files = whisperFixtureFiles();
  let cdn: FakeHub;
  let hub: FakeHub;
  let modelsDir: string;

  beforeEach(async () => {
    cdn = await FakeHub.start({ repo: FIXTURE_REPO, files });
    hub = await FakeHub.start({ repo: FIXTURE_REPO, files, token: 'hf_secret', cdn });
    modelsDir = tempModelsDir();
  });
  afterEach(async () => {
    await Promise.all([hub.close(), cdn.close()]);
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('answers 401 with advice to set HF_TOKEN', async () => {
    const run = await runCli(['pull', FIXTURE_REPO], { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('401');
    expect(run.stderr).toContain('set HF_TOKEN');
  });

  it('says the token was refused when one was sent', async () => {
    const run = await runCli(['pull', FIXTURE_REPO], { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_wrong' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('HF_TOKEN was sent but does not grant access');
  });

  it('sends the token to the hub, every page and file, but never to the CDN it redirects to', async () => {
    const run = await runCli(['pull', FIXTURE_REPO], { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_secret' });
    expect(run.code).toBe(0);
    expect(hub.requests.length).toBeGreaterThan(5);
    for (const request of hub.requests) expect(request.headers.authorization).toBe('Bearer hf_secret');
    expect(cdn.requestsTo('/cdn/').length).toBe(4);
    for (const request of cdn.requests) expect(request.headers.authorization).toBeUndefined();
    expect(fs.readFileSync(path.join(modelsDir, 'whisper-fixture', 'onnx', 'decoder_model_merged.onnx')).equals(contentOf(files, 'onnx/decoder_model_merged.onnx'))).toBe(true);
  });
});
