/**
 * Repos no family claims (Chatterbox until it brings its own selection) are fetched whole, minus the model card;
 * and whatever a hub lists, nothing is written outside the model folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeHub, type FixtureFile } from './fake-hub';
import { filesUnder, generatedBytes, runCli, tempModelsDir } from './fixture-repo';

const REPO = 'test-org/voice-fixture';

describe('models pull of a repo without a file selection', () => {
  let modelsDir: string;
  beforeEach(() => {
    modelsDir = tempModelsDir();
  });
  afterEach(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

  it('fetches every file but README and .gitattributes, and records no dtype', async () => {
    const files: FixtureFile[] = [
      { path: 'README.md', content: Buffer.from('# card\n'), lfs: false },
      { path: '.gitattributes', content: Buffer.from('*.onnx filter=lfs\n'), lfs: false },
      { path: 'tokenizer.json', content: Buffer.from('{}\n'), lfs: false },
      { path: 'onnx/speech_encoder.onnx', content: generatedBytes('se', 5000), lfs: true },
      { path: 'onnx/speech_encoder.onnx_data', content: generatedBytes('sed', 9000), lfs: true },
    ];
    const hub = await FakeHub.start({ repo: REPO, files });
    try {
      const env = { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url };
      const withDtype = await runCli(['pull', REPO, '--dtype', 'q4'], env);
      expect(withDtype.code).toBe(2);
      expect(withDtype.stderr).toContain('--dtype does not apply');

      const run = await runCli(['pull', REPO], env);
      expect(run.code).toBe(0);
      expect(filesUnder(path.join(modelsDir, 'voice-fixture'))).toEqual(['.model.json', 'onnx/speech_encoder.onnx', 'onnx/speech_encoder.onnx_data', 'tokenizer.json']);
      const manifest = JSON.parse(fs.readFileSync(path.join(modelsDir, 'voice-fixture', '.model.json'), 'utf8'));
      expect(manifest).toMatchObject({ family: 'generic', dtype: null });
    } finally {
      await hub.close();
    }
  });

  it('refuses a listing whose paths climb out of the folder, writing nothing', async () => {
    const hub = await FakeHub.start({
      repo: REPO,
      files: [
        { path: 'config.json', content: Buffer.from('{}'), lfs: false },
        { path: 'onnx/../../escaped.txt', content: Buffer.from('gotcha'), lfs: false },
      ],
    });
    try {
      const run = await runCli(['pull', REPO], { MODELS_DIR: modelsDir, HF_ENDPOINT: hub.url });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("refusing the file name 'onnx/../../escaped.txt'");
      expect(fs.existsSync(path.join(modelsDir, 'escaped.txt'))).toBe(false);
      expect(fs.existsSync(path.join(path.dirname(modelsDir), 'escaped.txt'))).toBe(false);
      expect(fs.existsSync(path.join(modelsDir, 'voice-fixture'))).toBe(false);
    } finally {
      await hub.close();
    }
  });
});
