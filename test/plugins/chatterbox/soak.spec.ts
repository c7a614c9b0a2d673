/**
 * Soak: long generations in onnxruntime-node (a crash after ~15 LM steps was reported upstream on one platform).
 * Two runs of 520 LM steps each with float16 KV caches; the process must survive and the second run must not
 * leave the process much bigger than the first did (a leak per step would add up over 520 steps). Loose bounds.
 */
import { SAMPLES_PER_TOKEN, STOP_SPEECH_TOKEN } from '../../fixtures/chatterbox/generate-chatterbox';
import { CallLog, cloneVoice, FixtureRoot, loadModel, speechRequest, synthesize } from './harness';

const STEPS = 520;
const MiB = 1024 * 1024;

describe('Chatterbox soak', () => {
  const root = new FixtureRoot();
  beforeAll(async () => {
    await root.open();
    await root.write('soak', { variant: 'turbo', kvDtype: 'float16', logitBias: { [STOP_SPEECH_TOKEN]: -200 } });
  });
  afterAll(() => root.close());

  it(`runs ${STEPS} LM steps twice without a crash or memory growth`, async () => {
    process.env.CHATTERBOX_MAX_NEW_TOKENS = String(STEPS);
    const log = new CallLog();
    let model;
    try {
      model = await loadModel(root.dir, 'soak', log);
    } finally {
      delete process.env.CHATTERBOX_MAX_NEW_TOKENS;
    }
    const voice = await cloneVoice(model);
    const first = await synthesize(model, speechRequest('A very long sentence.', voice));
    const afterFirst = process.memoryUsage();
    const second = await synthesize(model, speechRequest('A very long sentence.', voice));
    const afterSecond = process.memoryUsage();

    expect(log.of('language_model')).toHaveLength(2 * STEPS);
    // The unsteered model may pick START or ids the decoder cannot voice; those are dropped, never decoded.
    expect(first.length).toBeGreaterThan(STEPS * 0.9 * SAMPLES_PER_TOKEN);
    expect(second).toEqual(first);
    expect(afterSecond.rss - afterFirst.rss).toBeLessThan(128 * MiB);
    expect(afterSecond.heapUsed).toBeLessThan(afterFirst.heapUsed + 128 * MiB);
  });
});
