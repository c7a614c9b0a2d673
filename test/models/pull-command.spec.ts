import { pullCommandFor } from '../../src/models/pull-command';
import { resolveRepo } from '../../src/models/aliases';

describe('the pull command shown to users', () => {
  it('spells out the repo for an alias, and keeps an owner/name as given', () => {
    expect(pullCommandFor('whisper-base')).toBe('npm run models -- pull onnx-community/whisper-base');
    expect(pullCommandFor('whisper-small.en')).toBe('npm run models -- pull onnx-community/whisper-small.en');
    expect(pullCommandFor('Xenova/whisper-tiny')).toBe('npm run models -- pull Xenova/whisper-tiny');
  });

  it('offers no command for an id it cannot map to a repo', () => {
    expect(pullCommandFor('espeak')).toBeUndefined();
    expect(pullCommandFor('a/b/c')).toBeUndefined();
    expect(resolveRepo('../etc')).toBeUndefined();
    expect(resolveRepo('owner/..')).toBeUndefined();
  });
});
