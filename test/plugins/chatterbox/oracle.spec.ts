/**
 * The plugin against transformers.js' ChatterboxModel (an independent driver of the same export contract) on the
 * same unscripted fixture, text and reference clip, greedy: the speech tokens the plugin fed back to embed_tokens
 * (and voiced) are the ones generate() chose, and the audio is the same.
 *
 * transformers.js is run with the card's repetition penalty (START + generated speech ids) in place of its own,
 * which also penalises the text ids (contract B5). Each fixture biases one of the prompt's text ids, which is also
 * a speech id, just enough that the model says it first when only speech ids are penalised and not when text ids
 * are: so the test shows that the plugin follows the card, where transformers.js' own penalty would differ.
 */
import { START_SPEECH_TOKEN, STOP_SPEECH_TOKEN, SILENCE_TOKEN, voiceLikeClip } from '../../fixtures/chatterbox/generate-chatterbox';
import { TransformersChatterbox, type OracleRequest } from '../../fixtures/chatterbox/transformers-oracle';
import { CallLog, cloneVoice, FixtureRoot, loadModel, speechRequest, synthesize } from './harness';

const TEXT = 'Hello world.';
/** Speech tokens per sentence: well inside the first streaming window, so the plugin decodes the sentence once. */
const MAX_NEW_TOKENS = 20;
/** The reference clip, by cloneVoice's parameters. */
const CLIP = { seconds: 6, seed: 3 };

const CASES = [
  // Turbo "Hello world." = [544, 1105, 13, 50256, 50256] (the fixture's BPE); text id 1105 is also speech token 1105.
  { variant: 'turbo', textId: 1105, bias: 5, exaggeration: undefined },
  // Original = [6563, 255, …, 0 ([STOP]), 6561, 6561]; [STOP] = 0 is also speech token 0.
  { variant: 'original', textId: 0, bias: 4.2, exaggeration: 0.8 },
] as const;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, x, i) => Math.max(max, Math.abs(x - b[i])), 0);
}

describe('agreement with transformers.js ChatterboxModel (oracle)', () => {
  const root = new FixtureRoot();
  beforeAll(() => root.open());
  afterAll(() => root.close());

  it.each(CASES)('$variant: greedy speech tokens and audio equal generate() with the card\'s repetition penalty', async ({ variant, textId, bias, exaggeration }) => {
    const id = await root.write(variant, { variant, logitBias: { [textId]: bias } });
    const clip = voiceLikeClip(CLIP.seconds, CLIP.seed);
    const oracle = await TransformersChatterbox.load(root.dir, id);
    const prev = process.env.CHATTERBOX_MAX_NEW_TOKENS;
    process.env.CHATTERBOX_MAX_NEW_TOKENS = String(MAX_NEW_TOKENS);
    const log = new CallLog();
    const model = await loadModel(root.dir, id, log);
    try {
      const voice = await cloneVoice(model, CLIP.seconds, CLIP.seed);
      const audio = await synthesize(model, speechRequest(TEXT, voice, { extra: exaggeration === undefined ? {} : { exaggeration } }));

      const [prompt, ...steps] = log.of('embed_tokens');
      // Every generated token but STOP is embedded for the next step; this untrained LM does not say STOP this soon.
      const ours = steps.map((call) => call.ints.input_ids[0]);
      expect(log.of('language_model')).toHaveLength(MAX_NEW_TOKENS);
      expect(ours).toHaveLength(MAX_NEW_TOKENS);
      expect(ours).not.toContain(STOP_SPEECH_TOKEN);
      const promptTokens = Array.from(voice.audio_tokens.data as BigInt64Array, Number);
      expect(log.of('conditional_decoder').map((call) => call.ints.speech_tokens)).toEqual([[...promptTokens, ...ours, SILENCE_TOKEN, SILENCE_TOKEN, SILENCE_TOKEN]]);

      // generate() drops its last token before decoding (it takes it for STOP): one more step voices the same tokens.
      const request: OracleRequest = { text: TEXT, clip, maxNewTokens: MAX_NEW_TOKENS + 1, penalty: 'card', exaggeration };
      const theirs = await oracle.generate(request);
      expect(theirs.inputIds).toEqual(prompt.ints.input_ids);
      expect(theirs.generated.slice(0, MAX_NEW_TOKENS)).toEqual(ours);
      expect(maxAbsDiff(audio, theirs.waveform)).toBeLessThan(1e-4);

      // The test has teeth: the biased text id comes first under the card's penalty, and the penalty matters.
      expect(prompt.ints.input_ids).toContain(textId);
      expect(ours[0]).toBe(textId);
      expect(ours.some((token, i) => ours.indexOf(token) !== i)).toBe(true); // repeats: the penalty is at work
      const unpenalised = await oracle.generate({ ...request, penalty: 'off' });
      expect(unpenalised.generated.slice(0, MAX_NEW_TOKENS)).not.toEqual(ours);
      // transformers.js' own penalty (B5, by design) penalises the text id from the first step: another first token.
      const ownPenalty = await oracle.generate({ ...request, penalty: 'transformers.js' });
      expect(ownPenalty.generated[0]).not.toBe(textId);
      expect(ownPenalty.generated[0]).toBeLessThan(START_SPEECH_TOKEN);
    } finally {
      if (prev === undefined) delete process.env.CHATTERBOX_MAX_NEW_TOKENS;
      else process.env.CHATTERBOX_MAX_NEW_TOKENS = prev;
      await model.dispose?.();
      await oracle.dispose();
    }
  });
});
