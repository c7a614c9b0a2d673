import type { DescribeContext, PluginDefinition } from '../../plugins/sdk';
import { ModelNotFoundError, TaskNotSupportedError } from '../../src/engine/engine.errors';
import { ModelRegistry } from '../../src/engine/model-registry';
import type { LoadedPlugin } from '../../src/engine/plugin-loader';

const context: DescribeContext = { modelsDir: '/nowhere', log: { debug() {}, info() {}, warn() {}, error() {} } };

function plugin(id: string, manifest: Awaited<ReturnType<PluginDefinition['describe']>>): LoadedPlugin {
  return { source: `${id}.js`, definition: { id, describe: () => manifest, create: () => ({}) } };
}

const tts = plugin('tts', {
  models: [{ id: 'voice-a', tasks: ['speech'], ownedBy: 'a', voices: [{ id: 'alloy', name: 'Alloy', languages: ['en'] }] }],
  aliases: { 'tts-1': 'voice-a', 'whisper-1': 'not-installed' },
});
const stt = plugin('stt', { models: [{ id: 'ears', tasks: ['transcription'], ownedBy: 'b' }], aliases: { 'tts-1': 'ears' } });

describe('model registry', () => {
  it('resolves models and aliases; the first plugin to propose an alias wins, configuration wins over both', async () => {
    const registry = await ModelRegistry.build([tts, stt], context, { 'whisper-1': 'ears' });
    expect(registry.resolve('tts-1').info.id).toBe('voice-a');
    expect(registry.resolve('whisper-1', 'transcription').info.id).toBe('ears');
  });

  it('lists only aliases whose model is installed', async () => {
    const registry = await ModelRegistry.build([tts], context, {});
    expect(registry.catalog().map((entry) => entry.id)).toEqual(['voice-a', 'tts-1']);
    expect(() => registry.resolve('whisper-1', 'transcription')).toThrow(ModelNotFoundError);
  });

  it('tells a missing model from a model that cannot do the task', async () => {
    const registry = await ModelRegistry.build([tts, stt], context, {});
    expect(() => registry.resolve('nope')).toThrow(ModelNotFoundError);
    expect(() => registry.resolve('voice-a', 'transcription')).toThrow(TaskNotSupportedError);
  });

  it('names the exact pull command for a speech-to-text model that is not installed', async () => {
    const registry = await ModelRegistry.build([tts, stt], context, {});
    const messageOf = (model: string, task: 'transcription' | 'translation' | 'speech') => {
      try {
        registry.resolve(model, task);
      } catch (error) {
        expect(error).toBeInstanceOf(ModelNotFoundError);
        return (error as Error).message;
      }
      throw new Error(`${model} resolved`);
    };
    expect(messageOf('whisper-base', 'transcription')).toContain('`npm run models -- pull onnx-community/whisper-base`');
    expect(messageOf('Xenova/whisper-tiny.en', 'transcription')).toContain('`npm run models -- pull Xenova/whisper-tiny.en`');
    expect(messageOf('whisper-large-v3-turbo', 'transcription')).toContain('pull onnx-community/whisper-large-v3-turbo`');
    // large-v3-turbo (what whisper-1 pulls) cannot translate: translation points at a model that can.
    expect(messageOf('whisper-large-v3-turbo', 'translation')).toContain('pull onnx-community/whisper-small`');
    // Names that are no known repo get the general advice, and speech models are not pulled this way.
    expect(messageOf('nope', 'transcription')).toMatch(/install a speech-to-text plugin/);
    expect(messageOf('some/voice', 'speech')).not.toContain('npm run models');
  });

  it('refuses two plugins serving one model id', async () => {
    await expect(ModelRegistry.build([tts, plugin('copy', { models: [{ id: 'voice-a', tasks: ['speech'], ownedBy: 'c' }] })], context, {})).rejects.toThrow(
      /served by two plugins/,
    );
  });

  it('lists voices with the models and aliases they work with', async () => {
    const registry = await ModelRegistry.build([tts, stt], context, {});
    expect(registry.voices()).toEqual([{ id: 'alloy', name: 'Alloy', languages: ['en'], models: ['voice-a', 'tts-1'] }]);
    expect(() => registry.voices('ears')).toThrow(TaskNotSupportedError);
  });
});
