import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelStore } from '../../src/models/model-store';

describe('model folders', () => {
  let parent: string;
  beforeAll(() => (parent = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-perms-'))));
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

  it('creates MODELS_DIR, model folders and manifests with no world access and no group write', async () => {
    const root = path.join(parent, 'models');
    const store = new ModelStore(root);
    const folder = await store.ensureFolder('whisper-tiny');
    await store.writeManifest('whisper-tiny', {
      format: 1,
      repo: 'r',
      revision: 'main',
      family: 'generic',
      dtype: null,
      files: [],
      pulled_at: new Date(0).toISOString(),
      verified: { at: new Date(0).toISOString(), ok: true },
    });
    for (const target of [root, folder, path.join(folder, '.model.json')]) {
      const mode = fs.statSync(target).mode & 0o777;
      expect({ target: path.relative(parent, target), worldOrGroupWrite: mode & 0o027 }).toEqual({ target: path.relative(parent, target), worldOrGroupWrite: 0 });
    }
  });
});
