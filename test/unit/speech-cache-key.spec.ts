/**
 * speechCacheKey on DTOs as the validation pipe builds them: what shares a key, what does not, and which requests
 * are never cached.
 */
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { speechCacheKey } from '../../src/speech/speech-cache-key';
import { CreateSpeechDto } from '../../src/speech/speech.dto';
import type { StoredVoice } from '../../src/voices/voice-store';

const dto = (body: Record<string, unknown>) => plainToInstance(CreateSpeechDto, { model: 'tts-1', voice: 'alloy', input: 'Hi.', ...body });
const key = (body: Record<string, unknown>, voice?: StoredVoice) => speechCacheKey(dto(body), 'espeak', voice);

describe('speechCacheKey', () => {
  it('is a sha256 hex digest that ignores defaults spelled out and the order fields arrive in', () => {
    expect(key({})).toMatch(/^[0-9a-f]{64}$/);
    expect(key({ speed: 1, response_format: 'mp3', stream_format: 'audio' })).toBe(key({}));
    expect(key({ seed: 1, temperature: 0 })).toBe(key({ temperature: 0, seed: 1 }));
    expect(key({ voice: { id: 'alloy' } })).toBe(key({}));
  });

  it('changes with each field that changes the audio', () => {
    const variants = [{ input: 'Ho.' }, { voice: 'onyx' }, { speed: 2 }, { response_format: 'wav' }, { instructions: 'Slowly.' }, { language: 'fr' }, { top_k: 5 }];
    const keys = new Set([key({}), ...variants.map((variant) => key(variant))]);
    expect(keys.size).toBe(1 + variants.length);
    expect(speechCacheKey(dto({}), 'other-model', undefined)).not.toBe(key({}));
  });

  it('keys a cloned voice by id and creation time, so a voice re-made under the same name is another key', () => {
    const voice: StoredVoice = { id: `voice_${'1'.repeat(32)}`, name: 'Narrator', model: 'espeak', created_at: 1000, consent: 'c' };
    expect(key({ voice: 'Narrator' }, voice)).toBe(key({ voice: { id: voice.id } }, voice));
    expect(key({ voice: 'Narrator' }, { ...voice, created_at: 1001 })).not.toBe(key({ voice: 'Narrator' }, voice));
    expect(key({ voice: 'Narrator' }, { ...voice, id: `voice_${'2'.repeat(32)}` })).not.toBe(key({ voice: 'Narrator' }, voice));
  });

  it('is undefined (not cached) for SSE, sampling without a seed, and fields the server does not know', () => {
    expect(key({ stream_format: 'sse' })).toBeUndefined();
    expect(key({ temperature: 0.5 })).toBeUndefined();
    expect(key({ temperature: 0.5, seed: 3 })).toBeDefined();
    expect(key({ do_sample: true })).toBeUndefined();
  });
});
