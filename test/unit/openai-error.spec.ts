import { AudioDecoderBusyError } from '../../src/audio/errors';
import { toApiError } from '../../src/http/openai-error';

describe('toApiError', () => {
  it('answers a full decode queue like a full inference queue: 429 rate_limit_exceeded with Retry-After', () => {
    const error = toApiError(new AudioDecoderBusyError(), { method: 'POST', url: '/v1/audio/transcriptions' });
    expect(error.status).toBe(429);
    expect(error.toBody()).toEqual({ error: { message: expect.stringMatching(/decoder is busy/), type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    expect(error.headers).toEqual({ 'retry-after': '1' });
  });
});
