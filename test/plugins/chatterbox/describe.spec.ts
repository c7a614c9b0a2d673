/** What the plugin lists without loading weights: installed exports only, and the OpenAI names only when usable. */
import chatterboxPlugin from '../../../plugins/chatterbox/plugin';
import { FixtureRoot, silentLog } from './harness';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

describe('Chatterbox describe()', () => {
  const root = new FixtureRoot();
  beforeEach(() => root.open());
  afterEach(() => root.close());

  it('lists nothing and claims no alias when no export is installed', async () => {
    await mkdir(join(root.dir, 'not-a-model'));
    await writeFile(join(root.dir, 'not-a-model', 'tokenizer.json'), '{}');
    expect(await chatterboxPlugin.describe({ modelsDir: root.dir, log: silentLog })).toEqual({ models: [], aliases: {} });
  });

  it('lists each installed export with cloning and streaming; tts-1-hd prefers Turbo; tts-1 only where built-in voices can speak', async () => {
    await root.write('chatterbox-turbo', { variant: 'turbo' });
    await root.write('chatterbox-multilingual', { variant: 'multilingual' });
    const manifest = await chatterboxPlugin.describe({ modelsDir: root.dir, log: silentLog });
    expect(manifest.models.map((model) => model.id)).toEqual(['chatterbox-multilingual', 'chatterbox-turbo']);
    const [multilingual, turbo] = manifest.models;
    expect(turbo).toMatchObject({ tasks: ['speech'], languages: ['en'], capabilities: { streaming: true, voiceCloning: true } });
    expect(multilingual.languages).toEqual(expect.arrayContaining(['fr', 'ja']));
    expect(turbo.voices!.map((voice) => voice.id)).toEqual(expect.arrayContaining(['alloy', 'ghost', 'dan']));
    // Turbo ships no default voice: tts-1 with `alloy` would fail, so only tts-1-hd is claimed.
    expect(manifest.aliases).toEqual({ 'tts-1-hd': 'chatterbox-turbo' });

    await mkdir(join(root.dir, 'chatterbox-turbo', 'voices'));
    await writeFile(join(root.dir, 'chatterbox-turbo', 'voices', 'narrator.wav'), '');
    const again = await chatterboxPlugin.describe({ modelsDir: root.dir, log: silentLog });
    expect(again.aliases).toEqual({ 'tts-1-hd': 'chatterbox-turbo', 'tts-1': 'chatterbox-turbo', 'gpt-4o-mini-tts': 'chatterbox-turbo' });
    expect(again.models[1].voices!.map((voice) => voice.id)).toContain('narrator');
  });
});
