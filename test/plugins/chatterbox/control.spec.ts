/**
 * What a caller controls and notices beyond the loop itself: greedy determinism, seeded sampling, cancellation
 * between LM steps, streaming within a long sentence (windows joined by crossfade), sentence chunks, speed, voices.
 */
import { CancelledError, type PluginInstance, type VoiceEmbedding } from '../../../plugins/sdk';
import { SAMPLES_PER_TOKEN, STOP_SPEECH_TOKEN } from '../../fixtures/chatterbox/generate-chatterbox';
import { CallLog, cloneVoice, concat, FixtureRoot, loadModel, speechRequest, synthesize } from './harness';

/** 130 scripted tokens: longer than the first streaming window (50) and a second one (100). */
const LONG_SCRIPT = [...Array.from({ length: 130 }, (_, i) => 100 + ((i * 37) % 900)), STOP_SPEECH_TOKEN];

describe('Chatterbox speech backend', () => {
  const root = new FixtureRoot();
  let turbo: PluginInstance;
  let voice: VoiceEmbedding;
  beforeAll(async () => {
    await root.open();
    await root.write('turbo', { variant: 'turbo', logitBias: { [STOP_SPEECH_TOKEN]: -60 } });
    await root.write('long', { variant: 'turbo', script: { tokens: LONG_SCRIPT } });
    await root.write('original', { variant: 'original', script: { tokens: [5, 6, STOP_SPEECH_TOKEN] } });
    // The unsteered fixture (STOP pushed down) would talk for 1000 tokens: 12 is plenty here.
    process.env.CHATTERBOX_MAX_NEW_TOKENS = '12';
    try {
      turbo = await loadModel(root.dir, 'turbo');
    } finally {
      delete process.env.CHATTERBOX_MAX_NEW_TOKENS;
    }
    voice = await cloneVoice(turbo);
  });
  afterAll(() => root.close());

  it('greedy output is deterministic', async () => {
    const a = await synthesize(turbo, speechRequest('Same words.', voice));
    const b = await synthesize(turbo, speechRequest('Same words.', voice));
    expect(a.length).toBe(15 * SAMPLES_PER_TOKEN);
    expect(b).toEqual(a);
  });

  it('sampling with a seed is reproducible; another seed differs, and sampling differs from greedy', async () => {
    const sampled = (extra: Record<string, unknown>) => synthesize(turbo, speechRequest('Same words.', voice, { extra: { temperature: 1.5, top_k: 500, top_p: 0.99, ...extra } }));
    const greedy = await synthesize(turbo, speechRequest('Same words.', voice));
    const first = await sampled({ seed: 42 });
    expect(await sampled({ seed: 42 })).toEqual(first);
    expect(await sampled({ seed: 43 })).not.toEqual(first);
    expect(first).not.toEqual(greedy);
  });

  it('rejects out-of-range options as the client’s error, before any audio', async () => {
    for (const extra of [{ temperature: -1 }, { top_p: 2 }, { seed: 1.5 }, { exaggeration: 'high' }, { repetition_penalty: 0.5 }, { language: 'fr' }]) {
      await expect(synthesize(turbo, speechRequest('Hi.', voice, { extra }))).rejects.toMatchObject({ name: 'PluginInputError', param: Object.keys(extra)[0] });
    }
  });

  it('stops between LM steps once cancelled, and the model serves the next request', async () => {
    const log = new CallLog();
    const model = await loadModel(root.dir, 'long', log);
    const longVoice = await cloneVoice(model);
    const controller = new AbortController();
    log.onLmRun = (count) => {
      if (count === 20) controller.abort();
    };
    await expect(synthesize(model, speechRequest('A long sentence.', longVoice), controller.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(log.of('language_model')).toHaveLength(20);
    log.onLmRun = undefined;
    expect((await synthesize(model, speechRequest('Short.', longVoice, { extra: {} }))).length).toBe((130 + 3) * SAMPLES_PER_TOKEN);
  });

  it('streams a long sentence in windows before it is fully generated; the joins keep length and content', async () => {
    const log = new CallLog();
    const model = await loadModel(root.dir, 'long', log);
    const longVoice = await cloneVoice(model);
    const lmRunsAtChunk: number[] = [];
    const chunks: Float32Array[] = [];
    for await (const chunk of model.speech!.synthesize(speechRequest('A long sentence.', longVoice), new AbortController().signal)) {
      lmRunsAtChunk.push(log.of('language_model').length);
      chunks.push(chunk.samples);
    }
    // First window after 50 tokens, the next after 100 more would be past the end: 2 chunks, the first early.
    expect(chunks.length).toBe(2);
    expect(lmRunsAtChunk[0]).toBe(50);
    expect(lmRunsAtChunk[1]).toBe(131);
    const streamed = concat(chunks);
    expect(streamed.length).toBe((130 + 3) * SAMPLES_PER_TOKEN);
    // One decode of everything (what a non-incremental loop makes): the windows agree with it away from the seam.
    const decodes = log.of('conditional_decoder');
    const whole = await (async () => {
      process.env.CHATTERBOX_STREAM_WINDOW_TOKENS = '100000';
      try {
        const single = await loadModel(root.dir, 'long');
        return await synthesize(single, speechRequest('A long sentence.', longVoice));
      } finally {
        delete process.env.CHATTERBOX_STREAM_WINDOW_TOKENS;
      }
    })();
    expect(decodes).toHaveLength(2);
    expect(whole.length).toBe(streamed.length);
    const seam = 50 * SAMPLES_PER_TOKEN;
    const far = (a: Float32Array) => Array.from(a.subarray(0, seam - 2 * SAMPLES_PER_TOKEN));
    expect(far(streamed)).toEqual(far(whole));
  });

  it('speaks each sentence as its own chunk: the first leaves before the last sentence is started', async () => {
    const log = new CallLog();
    const model = await loadModel(root.dir, 'original', log);
    const voiceOfModel = await cloneVoice(model);
    const promptsSeen = () => log.of('embed_tokens').filter((call) => call.ints.input_ids.length > 1).length;
    const promptsAtChunk: number[] = [];
    for await (const chunk of model.speech!.synthesize(speechRequest('First one. Second one! Third?', voiceOfModel), new AbortController().signal)) {
      expect(chunk.samples.length).toBe(5 * SAMPLES_PER_TOKEN);
      promptsAtChunk.push(promptsSeen());
    }
    expect(promptsAtChunk).toEqual([1, 2, 3]);
  });

  it('speed stretches time without resampling: twice as fast is half as long', async () => {
    const normal = await synthesize(turbo, speechRequest('Same words.', voice));
    const fast = await synthesize(turbo, speechRequest('Same words.', voice, { speed: 2 }));
    expect(fast.length).toBe(Math.round(normal.length / 2));
  });

  it('built-in names use the export’s default_voice.wav; without one, a 400 says what to do', async () => {
    const original = await loadModel(root.dir, 'original');
    expect((await synthesize(original, speechRequest('Hi.', undefined, { voice: 'alloy' }))).length).toBe(5 * SAMPLES_PER_TOKEN);
    await expect(synthesize(turbo, speechRequest('Hi.', undefined, { voice: 'alloy' }))).rejects.toMatchObject({ code: 'voice_not_available', message: expect.stringContaining('voices/alloy.wav') });
    await expect(synthesize(turbo, speechRequest('Hi.', undefined, { voice: 'nobody' }))).rejects.toMatchObject({ code: 'voice_not_found' });
  });
});
