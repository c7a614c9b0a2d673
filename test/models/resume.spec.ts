/**
 * Downloads that go wrong: a connection cut part-way resumes with Range from the `.part` (on the next run, or on a
 * retry within the run), a server that ignores Range still yields the right file, and corrupt bytes never get the
 * file's name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeHub } from './fake-hub';
import { FIXTURE_REPO, contentOf, filesUnder, runCli, tempModelsDir, whisperFixtureFiles } from './fixture-repo';

const DATA = 'onnx/encoder_model.onnx_data';

describe('models pull when the network misbehaves', () => {
  const files = whisperFixtureFiles();
  let hub: FakeHub;
  let modelsDir: string;
  let env: Record<string, string>;
  const target = () => path.join(modelsDir, 'whisper-fixture', ...DATA.split('/'));
  const dataRequests = () => hub.requests.filter((request) => request.url === `/cdn/${DATA}`);

  beforeEach(async () => {
    hub = await FakeHub.start({ repo: FIXTURE_REPO, files });
    modelsDir = tempModelsDir();
    env = { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url };
  });
  afterEach(async () => {
    await hub.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('keeps what arrived when the connection drops, and asks only for the rest on the next run', async () => {
    hub.dropOnce.set(DATA, 150_000);
    const first = await runCli(['pull', FIXTURE_REPO], env, { attempts: 1 });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(DATA);
    expect(first.stderr).toContain('run the same command again to resume');
    expect(fs.existsSync(target())).toBe(false);
    const part = `${target()}.part`;
    const kept = fs.statSync(part);
    expect(kept.size).toBeGreaterThan(0);
    expect(kept.size).toBeLessThanOrEqual(150_000);
    expect(kept.mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(modelsDir, 'whisper-fixture', '.model.json'))).toBe(false);

    const second = await runCli(['pull', FIXTURE_REPO], env, { attempts: 1 });
    expect(second.stderr).not.toContain('error');
    expect(second.code).toBe(0);
    const requests = dataRequests();
    expect(requests).toHaveLength(2);
    expect(requests[0].headers.range).toBeUndefined();
    expect(requests[1].headers.range).toBe(`bytes=${kept.size}-`);
    expect(fs.readFileSync(target()).equals(contentOf(files, DATA))).toBe(true);
    expect(fs.existsSync(part)).toBe(false);
    expect(second.stderr).toContain('resumed at');
  });

  it('resumes within the same run when retries are allowed', async () => {
    hub.dropOnce.set(DATA, 100_000);
    const run = await runCli(['pull', FIXTURE_REPO], env, { attempts: 2 });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('retrying');
    const requests = dataRequests();
    expect(requests).toHaveLength(2);
    expect(requests[1].headers.range).toMatch(/^bytes=\d+-$/);
    expect(fs.readFileSync(target()).equals(contentOf(files, DATA))).toBe(true);
  });

  it('ends with the right file when the server ignores Range and sends it all again', async () => {
    hub.dropOnce.set(DATA, 150_000);
    hub.ignoreRange = true;
    expect((await runCli(['pull', FIXTURE_REPO], env)).code).toBe(1);
    expect(fs.existsSync(`${target()}.part`)).toBe(true);

    const second = await runCli(['pull', FIXTURE_REPO], env);
    expect(second.code).toBe(0);
    expect(dataRequests()[1].headers.range).toMatch(/^bytes=\d+-$/);
    expect(fs.readFileSync(target()).equals(contentOf(files, DATA))).toBe(true);
    expect(fs.existsSync(`${target()}.part`)).toBe(false);
  });

  it('fails on corrupt bytes, naming the file, and leaves neither the file nor a .part', async () => {
    hub.corrupt.add(DATA);
    const run = await runCli(['pull', FIXTURE_REPO], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${DATA}: the downloaded bytes do not match the hash the hub lists`);
    expect(fs.existsSync(target())).toBe(false);
    expect(fs.existsSync(`${target()}.part`)).toBe(false);
    expect(fs.existsSync(path.join(modelsDir, 'whisper-fixture', '.model.json'))).toBe(false);
  });

  it('stops a server sending more than the listed size, keeping nothing', async () => {
    hub.oversize.add(DATA);
    const run = await runCli(['pull', FIXTURE_REPO], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${DATA}: the server sent more than the 400000 bytes the hub lists`);
    expect(fs.existsSync(target())).toBe(false);
    expect(fs.existsSync(`${target()}.part`)).toBe(false);
  });

  it('checks git-stored files by their blob sha1 too', async () => {
    hub.corrupt.add('tokenizer.json');
    const run = await runCli(['pull', FIXTURE_REPO], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('tokenizer.json: the downloaded bytes do not match');
    expect(run.stderr).toContain('git blob sha1');
    expect(filesUnder(path.join(modelsDir, 'whisper-fixture')).filter((file) => file.startsWith('tokenizer.json'))).toEqual([]);
  });

  it('discards a .part that a corrupt resume would extend, rather than keep bad bytes', async () => {
    // A .part whose bytes are not a prefix of the file: the hash fails at the end, the part is deleted, and the
    // next run starts clean and succeeds.
    fs.mkdirSync(path.dirname(target()), { recursive: true });
    fs.writeFileSync(`${target()}.part`, Buffer.alloc(1000, 7));
    const first = await runCli(['pull', FIXTURE_REPO], env);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(DATA);
    expect(fs.existsSync(`${target()}.part`)).toBe(false);
    const second = await runCli(['pull', FIXTURE_REPO], env);
    expect(second.code).toBe(0);
    expect(fs.readFileSync(target()).equals(contentOf(files, DATA))).toBe(true);
  });
});
