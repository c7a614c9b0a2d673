import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { ApiKeys, sha256Hex } from '../../src/security/api-keys';
import { isPublicPath } from '../../src/security/auth.middleware';

describe('ApiKeys', () => {
  it('accepts plain keys and digests, and identifies a caller by the digest only', () => {
    const keys = new ApiKeys(['sk-one'], [sha256Hex('sk-two').toUpperCase()]);
    expect(keys.open).toBe(false);
    expect(keys.verify('sk-one')).toBe(sha256Hex('sk-one'));
    expect(keys.verify('sk-two')).toBe(sha256Hex('sk-two'));
    expect(keys.verify('sk-three')).toBeUndefined();
    expect(keys.verify('')).toBeUndefined();
  });

  it('is open with no key', () => {
    expect(new ApiKeys([], []).open).toBe(true);
  });
});

describe('API_KEYS_FILE', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-keys-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads one digest per line, skipping blanks and comments', () => {
    const file = path.join(dir, 'good');
    // The third line is what `printf %s "$KEY" | sha256sum` prints.
    fs.writeFileSync(file, `# ops\n${sha256Hex('a')}\n\n${sha256Hex('b')}  # bob\n${sha256Hex('c')}  -\n`);
    expect(loadConfig({ API_KEYS_FILE: file }).API_KEYS_FILE).toEqual([sha256Hex('a'), sha256Hex('b'), sha256Hex('c')]);
  });

  it('refuses a plain key pasted into the file without printing it', () => {
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, 'sk-this-is-a-plain-key\n');
    let error: unknown;
    try {
      loadConfig({ API_KEYS_FILE: file });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('line 1');
    expect((error as Error).message).not.toContain('sk-this-is-a-plain-key');
  });

  it('refuses a missing file', () => {
    expect(() => loadConfig({ API_KEYS_FILE: path.join(dir, 'nope') })).toThrow(/API_KEYS_FILE.*ENOENT/);
  });
});

describe('PUBLIC_PATHS', () => {
  it('opens a path and what lies under it, nothing else', () => {
    const open = loadConfig({ PUBLIC_PATHS: '/healthz, /docs/' }).PUBLIC_PATHS;
    expect(open).toEqual(['/healthz', '/docs']);
    expect(isPublicPath('/docs', open)).toBe(true);
    expect(isPublicPath('/docs/swagger-ui.css', open)).toBe(true);
    expect(isPublicPath('/docsx', open)).toBe(false);
    expect(isPublicPath('/v1/models', open)).toBe(false);
  });

  it('refuses an entry that is not a path', () => {
    expect(() => loadConfig({ PUBLIC_PATHS: 'healthz' })).toThrow(/PUBLIC_PATHS/);
  });
});
