/**
 * The generation loop of each variant on real onnxruntime sessions of fixture exports, observed through the
 * sessions' feeds: prompt layout, position ids, attention-mask growth, KV cache fed back by name (the fixture's
 * script only plays out when it is), STOP, repetition penalty over speech ids, silence before the decoder.
 */
import { SAMPLES_PER_TOKEN, SILENCE_TOKEN, START_SPEECH_TOKEN, STOP_SPEECH_TOKEN, TEXT_START, TEXT_STOP, TURBO_TEXT_EOS, EXAGGERATION_TOKEN } from '../../fixtures/chatterbox/generate-chatterbox';
import { CallLog, cloneVoice, FixtureRoot, loadModel, speechRequest, synthesize } from './harness';

const SCRIPT = [11, 22, 33, 44, STOP_SPEECH_TOKEN];

describe('Chatterbox generation loop', () => {
  const root = new FixtureRoot();
  beforeAll(async () => {
    await root.open();
    await root.write('turbo', { variant: 'turbo', script: { tokens: SCRIPT } });
    await root.write('turbo-fp16', { variant: 'turbo', kvDtype: 'float16', fileSuffix: '_fp16', script: { tokens: SCRIPT } });
    await root.write('original', { variant: 'original', script: { tokens: SCRIPT } });
    await root.write('multilingual', { variant: 'multilingual', script: { tokens: SCRIPT } });
    await root.write('turbo-bias', { variant: 'turbo', logitBias: { 7: 30, 8: 27, [STOP_SPEECH_TOKEN]: -60 } });
  });
  afterAll(() => root.close());

  it('Turbo: prompt = text + <|endoftext|>×2 after the voice conditioning, positions 0.., mask grows by one, stops at STOP', async () => {
    const log = new CallLog();
    const model = await loadModel(root.dir, 'turbo', log);
    const voice = await cloneVoice(model);
    const audio = await synthesize(model, speechRequest('hello there', voice));

    const [prompt] = log.of('embed_tokens');
    expect(prompt.ints.input_ids.slice(-2)).toEqual([TURBO_TEXT_EOS, TURBO_TEXT_EOS]);
    const condLength = voice.audio_features.dims[1];
    const promptLength = prompt.ints.input_ids.length;
    const lm = log.of('language_model');
    // Four script tokens, then STOP: five LM runs, the first over the whole prefix.
    expect(lm).toHaveLength(5);
    expect(lm[0].dims.inputs_embeds).toEqual([1, condLength + promptLength, 128]);
    expect(lm[0].ints.position_ids).toEqual(Array.from({ length: condLength + promptLength }, (_, i) => i));
    expect(lm[0].dims['past_key_values.0.key']).toEqual([1, 2, 0, 64]);
    lm.slice(1).forEach((call, step) => {
      const total = condLength + promptLength + step + 1;
      expect(call.ints.attention_mask).toEqual(new Array(total).fill(1));
      expect(call.ints.position_ids).toEqual([total - 1]);
      expect(call.dims['past_key_values.1.value']).toEqual([1, 2, total - 1, 64]);
    });
    // Each generated token is embedded alone (a speech step), STOP is not.
    expect(log.of('embed_tokens').slice(1).map((call) => call.ints.input_ids)).toEqual([[11], [22], [33], [44]]);

    const [decode] = log.of('conditional_decoder');
    const promptTokens = Array.from(voice.audio_tokens.data as BigInt64Array, Number);
    expect(decode.ints.speech_tokens).toEqual([...promptTokens, 11, 22, 33, 44, SILENCE_TOKEN, SILENCE_TOKEN, SILENCE_TOKEN]);
    expect(audio.length).toBe(7 * SAMPLES_PER_TOKEN);
  });

  it('Turbo with float16 KV: caches are fed back as float16 and the loop follows the same script', async () => {
    const log = new CallLog();
    const model = await loadModel(root.dir, 'turbo-fp16', log);
    const voice = await cloneVoice(model);
    await synthesize(model, speechRequest('hello there', voice));
    const lm = log.of('language_model');
    expect(lm.every((call) => call.types['past_key_values.0.key'] === 'float16' && call.types.inputs_embeds === 'float32')).toBe(true);
    expect(log.of('conditional_decoder')[0].ints.speech_tokens.slice(-7)).toEqual([11, 22, 33, 44, SILENCE_TOKEN, SILENCE_TOKEN, SILENCE_TOKEN]);
  });

  it.each(['original', 'multilingual'])('%s: [6563, [START], text, [STOP], 6561, 6561] with text positions from 0, START speech at 0, exaggeration fed', async (id) => {
    const log = new CallLog();
    const model = await loadModel(root.dir, id, log);
    const voice = await cloneVoice(model);
    await synthesize(model, speechRequest('hello there', voice, { extra: { exaggeration: 0.8 } }));

    const [prompt, ...steps] = log.of('embed_tokens');
    const ids = prompt.ints.input_ids;
    expect(ids.slice(0, 2)).toEqual([EXAGGERATION_TOKEN, TEXT_START]);
    expect(ids.slice(-3)).toEqual([TEXT_STOP, START_SPEECH_TOKEN, START_SPEECH_TOKEN]);
    expect(prompt.ints.position_ids).toEqual(ids.map((token, i) => (token >= START_SPEECH_TOKEN ? 0 : i - 1)));
    // The k-th generated token sits k positions after START.
    expect(steps.map((call) => [call.ints.input_ids, call.ints.position_ids])).toEqual([[[11], [1]], [[22], [2]], [[33], [3]], [[44], [4]]]);
    // The request's exaggeration reaches every embed_tokens call.
    expect([prompt, ...steps].map((call) => call.floats.exaggeration)).toEqual(new Array(5).fill([expect.closeTo(0.8, 6)]));
    const lm = log.of('language_model');
    expect(lm).toHaveLength(5);
    expect(lm[0].ints.position_ids).toBeUndefined(); // the onnx-community LM has no position_ids
    const condLength = voice.audio_features.dims[1];
    lm.forEach((call, step) => expect(call.ints.attention_mask).toHaveLength(condLength + ids.length + step));
    expect(log.of('conditional_decoder')[0].ints.speech_tokens.slice(-7)).toEqual([11, 22, 33, 44, SILENCE_TOKEN, SILENCE_TOKEN, SILENCE_TOKEN]);
  });

  it('repetition penalty 1.2 divides each generated id once (HF gather/scatter): 7 (30) yields once to 8 (27), then wins again (25 > 22.5); 1 = off', async () => {
    const prev = process.env.CHATTERBOX_MAX_NEW_TOKENS;
    process.env.CHATTERBOX_MAX_NEW_TOKENS = '6';
    try {
      const log = new CallLog();
      const model = await loadModel(root.dir, 'turbo-bias', log);
      const voice = await cloneVoice(model);
      await synthesize(model, speechRequest('hi', voice));
      await synthesize(model, speechRequest('hi', voice, { extra: { repetition_penalty: 1 } }));
      const [penalized, plain] = log.of('conditional_decoder').map((call) => call.ints.speech_tokens.slice(-9, -3));
      expect(penalized).toEqual([7, 8, 7, 7, 7, 7]);
      expect(plain).toEqual([7, 7, 7, 7, 7, 7]);
    } finally {
      if (prev === undefined) delete process.env.CHATTERBOX_MAX_NEW_TOKENS;
      else process.env.CHATTERBOX_MAX_NEW_TOKENS = prev;
    }
  });
});
