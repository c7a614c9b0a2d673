/**
 * The built-in voice: eSpeak NG (formant synthesis, ~100 languages, GPL-3.0) compiled to WebAssembly. Robotic but
 * tiny, fast and always available, so the OpenAI speech model names answer out of the box; neural plugins configured
 * before this one (or ALIASES) take those names over.
 */
import { definePlugin, type PluginManifest } from '../sdk';
import { EspeakEngine, EspeakSpeechBackend } from './synthesizer';
import { MODEL_ID, listLanguages, listVoices } from './voices';

function describe(): PluginManifest {
  // Static tables only: the WASM and its 24 MB of voice data load in create().
  return {
    models: [
      {
        id: MODEL_ID,
        tasks: ['speech'],
        ownedBy: 'espeak-ng',
        languages: listLanguages(),
        voices: listVoices(),
        capabilities: { streaming: true },
      },
    ],
    aliases: { 'tts-1': MODEL_ID, 'tts-1-hd': MODEL_ID, 'gpt-4o-mini-tts': MODEL_ID },
  };
}

export default definePlugin({
  id: 'espeak',
  describe,
  async create(context) {
    const started = Date.now();
    const engine = await EspeakEngine.load();
    context.log.info('eSpeak NG loaded', { ms: Date.now() - started });
    // Nothing to dispose: the Emscripten heap lives as long as the thread, and load() shares it between instances.
    return { speech: new EspeakSpeechBackend(engine) };
  },
});
