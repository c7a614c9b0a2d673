import { routeRequest } from '../../src/generate/generate.routing';

describe('/generate routing (the original router\'s decisions, by rule)', () => {
  it('speaks by default: an answer to text, verbatim text when asked to say it exactly', () => {
    expect(routeRequest('Tell me a joke', false)).toEqual({ task: 'tts' });
    expect(routeRequest('say verbatim: "Hello There"', false)).toEqual({ task: 'tts', direct: 'Hello There' });
    expect(routeRequest('Please read this aloud: The shop opens at nine.', false)).toEqual({ task: 'tts', direct: 'The shop opens at nine.' });
    expect(routeRequest('say verbatim:', false)).toEqual({ task: 'tts' });
  });

  it('answers in text only when text is explicitly asked for', () => {
    expect(routeRequest('Answer in text: what time is it?', false)).toEqual({ task: 'ttt' });
    expect(routeRequest('What is the capital of France?', false)).toEqual({ task: 'tts' });
  });

  it('with speech: replies in speech, transcribes when a transcript is asked for, repeats when asked', () => {
    expect(routeRequest('Reply to this', true)).toEqual({ task: 'sts', repeat: false });
    expect(routeRequest('Transcribe this recording', true)).toEqual({ task: 'stt' });
    expect(routeRequest('What did I say?', true)).toEqual({ task: 'stt' });
    expect(routeRequest('Summarise it as text', true)).toEqual({ task: 'ttt' });
    expect(routeRequest('Repeat what I said in the voice of dan', true)).toEqual({ task: 'sts', repeat: true });
  });
});
