import { AUDIO_TTL_S, AudioTranscriptMemory } from '../../src/chat/audio-memory';

describe('transcripts of spoken replies', () => {
  it('are recalled by id until they expire, an hour later', () => {
    let now = 1_000;
    const memory = new AudioTranscriptMemory(() => now);
    expect(memory.remember('audio_a', 'Hello.')).toBe(1_000 + AUDIO_TTL_S);
    expect(memory.recall('audio_a')).toBe('Hello.');
    expect(memory.recall('audio_b')).toBeUndefined();
    now += AUDIO_TTL_S;
    expect(memory.recall('audio_a')).toBeUndefined();
  });
});
