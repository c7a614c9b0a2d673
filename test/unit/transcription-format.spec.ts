import type { TranscriptionResult } from '../../plugins/sdk';
import { render, timestamp } from '../../src/transcription/transcription.format';

const result: TranscriptionResult = {
  text: 'Hello there. General Kenobi.',
  language: 'en',
  duration: 3661.5,
  segments: [
    { id: 0, seek: 0, start: 0, end: 1.234, text: ' Hello there.', tokens: [1], temperature: 0, avg_logprob: -0.1, compression_ratio: 1, no_speech_prob: 0 },
    { id: 1, seek: 0, start: 3600.5, end: 3661.5, text: ' General Kenobi.', tokens: [2], temperature: 0, avg_logprob: -0.1, compression_ratio: 1, no_speech_prob: 0 },
  ],
  words: [{ word: 'Hello', start: 0, end: 0.5 }],
};

describe('transcription formats', () => {
  it('writes SubRip and WebVTT timestamps', () => {
    expect(timestamp(3661.5, ',')).toBe('01:01:01,500');
    expect(timestamp(0.0004, '.')).toBe('00:00:00.000');
  });

  it('renders srt with numbered cues and trimmed text', () => {
    expect(render(result, 'srt', { task: 'transcribe', segments: true, words: false }).body).toBe(
      '1\n00:00:00,000 --> 00:00:01,234\nHello there.\n\n2\n01:00:00,500 --> 01:01:01,500\nGeneral Kenobi.\n',
    );
  });

  it('renders vtt as text/vtt', () => {
    const rendered = render(result, 'vtt', { task: 'transcribe', segments: true, words: false });
    expect(rendered.contentType).toMatch(/^text\/vtt/);
    expect(rendered.body).toMatch(/^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.234\nHello there\.\n/);
  });

  it('renders verbose_json with the full language name and usage in whole seconds', () => {
    const body = render(result, 'verbose_json', { task: 'transcribe', segments: true, words: true }).body as Record<string, unknown>;
    expect(body).toMatchObject({ task: 'transcribe', language: 'english', duration: 3661.5, usage: { type: 'duration', seconds: 3662 } });
    expect(body.words).toHaveLength(1);
  });

  it('renders a translation as english text without usage', () => {
    expect(render(result, 'json', { task: 'translate', segments: false, words: false }).body).toEqual({ text: result.text });
    const verbose = render({ ...result, language: 'de' }, 'verbose_json', { task: 'translate', segments: true, words: false }).body as Record<string, unknown>;
    expect(verbose.language).toBe('english');
    expect(verbose.words).toBeUndefined();
  });
});
