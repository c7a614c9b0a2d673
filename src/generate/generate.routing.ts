/**
 * What the original service's LLM router decided (text-to-speech, speech-to-speech, speech-to-text or
 * text-to-text), decided here by plain rules on the user's words, so no LLM call is spent on routing and the same
 * request always takes the same path. The rules follow the original router's prompt: speech out unless text is
 * explicitly asked for; transcription only when audio came in and a transcript is asked for.
 */
export type GenerateTask = 'tts' | 'sts' | 'stt' | 'ttt';

export interface Route {
  task: GenerateTask;
  /** For tts: the text to speak as is (the user asked for it verbatim); otherwise the LLM writes the reply. */
  direct?: string;
  /** For sts: speak the transcript as is rather than answering it. */
  repeat?: boolean;
}

/** "say verbatim:", "say exactly:", "read this aloud:", … — the original's DIRECT intent, with the text after the colon. */
const DIRECT = /^\s*(?:please\s+)?(?:say verbatim|say exactly|speak verbatim|repeat exactly|repeat after me|read (?:this|it|the following)(?: aloud| out loud| as-is| verbatim)?)\s*:\s*/i;
/** The user asks for a transcript of their audio. */
const TRANSCRIBE = /\btranscri(?:be|ption|pt)\b|\bwrite (?:it|that|this) down\b|\bwhat (?:did|does) (?:i|it|the audio|this) say\b/i;
/** The user asks for a written (not spoken) answer. */
const TEXT_OUT = /\b(?:in text|as text|text only|only text|in writing|written (?:answer|reply)|text (?:answer|reply)|(?:reply|respond|answer) (?:in|with) text|don'?t speak|no audio)\b/i;
/** The user asks to hear their own audio again, in the chosen voice. */
const REPEAT = /\b(?:repeat|say) (?:it|this|that|what i said)\b|\bsay verbatim\b|\bin (?:the|this|that) voice\b/i;

function unquote(text: string): string {
  const quoted = /^(["'“‘])([\s\S]*)(["'”’])$/.exec(text.trim());
  return (quoted ? quoted[2] : text).trim();
}

export function routeRequest(text: string, hasSpeech: boolean): Route {
  if (hasSpeech) {
    if (TRANSCRIBE.test(text)) return { task: 'stt' };
    if (TEXT_OUT.test(text)) return { task: 'ttt' };
    return { task: 'sts', repeat: REPEAT.test(text) };
  }
  if (TEXT_OUT.test(text)) return { task: 'ttt' };
  const direct = DIRECT.exec(text);
  if (direct) {
    const rest = unquote(text.slice(direct[0].length));
    if (rest) return { task: 'tts', direct: rest };
  }
  return { task: 'tts' };
}
