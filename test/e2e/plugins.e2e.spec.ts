/**
 * Adding a backend means adding a folder: a throwaway plugin written to a temporary folder is served without
 * touching src/, and ALIASES can point OpenAI names at it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasMagic } from '../utils/audio-probe';
import { startTestServer } from '../utils/test-server';

const SDK = path.join(__dirname, '..', '..', 'plugins', 'sdk');

function writePlugin(root: string): void {
  const folder = path.join(root, 'beeper');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(
    path.join(folder, 'plugin.js'),
    `const { definePlugin } = require(${JSON.stringify(SDK)});
module.exports.default = definePlugin({
  id: 'beeper',
  describe: () => ({ models: [{ id: 'beep-1', tasks: ['speech'], ownedBy: 'someone', voices: [{ id: 'beep', name: 'Beep', languages: ['en'] }] }] }),
  create: () => ({
    speech: {
      async *synthesize(request) {
        const samples = new Float32Array(16000);
        for (let i = 0; i < samples.length; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000);
        yield { samples, sampleRate: 16000 };
      },
    },
  }),
});
`,
  );
}

describe('a plugin folder is all it takes', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-plugins-'));
  writePlugin(root);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('serves the new model, its voices and an alias set by configuration', async () => {
    const server = await startTestServer({ PLUGIN_DIRS: `dist/plugins,${root}`, ALIASES: 'tts-1-hd=beep-1', PRELOAD_MODELS: '' });
    try {
      const ids = (await server.client.models.list()).data.map((model) => model.id);
      expect(ids).toEqual(expect.arrayContaining(['beep-1', 'espeak', 'tts-1']));
      expect(await server.client.models.retrieve('tts-1-hd')).toMatchObject({ alias_of: 'beep-1', owned_by: 'someone' });

      const voices = (await (await fetch(`${server.url}/v1/audio/voices?model=beep-1`)).json()) as { data: Array<{ id: string }> };
      expect(voices.data.map((voice) => voice.id)).toEqual(['beep']);

      const speech = await server.client.audio.speech.create({ model: 'tts-1-hd', voice: 'beep', input: 'x', response_format: 'wav' });
      const bytes = new Uint8Array(await speech.arrayBuffer());
      expect(hasMagic('wav', bytes)).toBe(true);
      // One second at 16 kHz, resampled by the server to 24 kHz 16-bit mono, after the 44-byte header.
      expect((bytes.length - 44) / 2 / 24_000).toBeCloseTo(1, 1);
    } finally {
      await server.close();
    }
  });
});
