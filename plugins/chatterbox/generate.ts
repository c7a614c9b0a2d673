/**
 * The speech-token generation loop of both variants, as the official examples run it (contract B5):
 * prefill `[conditioning ‖ embedded prompt]` with an all-ones mask, then one token per step, the mask growing by one,
 * the cache fed back by name; repetition penalty over START + generated speech ids only (not the text ids), then
 * greedy or sampling; stop at STOP_SPEECH_TOKEN. Cancellation is checked before every LM step.
 */
import { applyRepetitionPenalty, sampleToken, throwIfAborted, type Random, type SamplingOptions } from '../sdk';
import { EXAGGERATION_TOKEN, START_SPEECH_TOKEN, STOP_SPEECH_TOKEN } from './constants';
import type { ChatterboxVoice, LanguageModel, TokenEmbedder } from './sessions';

export interface GenerationOptions {
  sampling: SamplingOptions;
  /** 1.2 in every public example; 1 = off. */
  repetitionPenalty: number;
  /** Steps before giving up on a STOP token (the card uses 1024). */
  maxNewTokens: number;
  random: Random;
  /** Original / multilingual: the emotion strength fed to embed_tokens (0.5 = neutral). */
  exaggeration: number;
}

export interface GenerationModel {
  embedder: TokenEmbedder;
  lm: LanguageModel;
}

/**
 * Original / multilingual prompt positions: text counts from 0 at `[START]`, and the exaggeration and START-speech
 * tokens (ids ≥ 6561) get 0 (`where(id >= 6561, 0, arange(L) - 1)`).
 */
export function originalPromptPositions(ids: readonly number[]): number[] {
  return ids.map((id, index) => (id >= START_SPEECH_TOKEN ? 0 : index - 1));
}

function concatRows(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Yields each generated speech token the decoder can voice (ids < 6561), in order; returns when the model says
 * STOP or after `maxNewTokens` steps. `prompt` is the tokenizer's full layout for the variant.
 */
export async function* generateSpeechTokens(
  model: GenerationModel,
  voice: ChatterboxVoice,
  prompt: readonly number[],
  options: GenerationOptions,
  signal: AbortSignal,
): AsyncGenerator<number, void, undefined> {
  const { embedder, lm } = model;
  const original = embedder.variant === 'original';
  if (original && prompt[0] !== EXAGGERATION_TOKEN) throw new Error('Chatterbox: the original prompt must start with the exaggeration token');
  const text = await embedder.embed(prompt, original ? originalPromptPositions(prompt) : [], options.exaggeration);
  if (voice.condEmbeddings.length !== voice.condLength * text.hidden) {
    throw new Error(`Chatterbox: the voice's conditioning has width ${voice.condEmbeddings.length / voice.condLength}, the model ${text.hidden} (a voice made with another model?)`);
  }
  let embeds = concatRows(voice.condEmbeddings, text.data);
  let length = voice.condLength + prompt.length;
  let positions = Array.from({ length }, (_, i) => i);
  let past: Awaited<ReturnType<LanguageModel['run']>>['present'] | undefined;
  const generated: number[] = [START_SPEECH_TOKEN];
  for (let step = 0; step < options.maxNewTokens; step++) {
    throwIfAborted(signal);
    const { logits, present } = await lm.run(embeds, text.hidden, length, positions, past);
    applyRepetitionPenalty(logits, generated, options.repetitionPenalty);
    const next = sampleToken(logits, options.sampling, options.random);
    generated.push(next);
    if (next === STOP_SPEECH_TOKEN) return;
    if (next < START_SPEECH_TOKEN) yield next;
    // The k-th generated token sits k positions after START (VLAD's [[i+1]], TJS' len - lastIndexOf(6561) - 1).
    embeds = (await embedder.embed([next], [generated.length - 1], options.exaggeration)).data;
    length += 1;
    positions = [length - 1];
    past = present;
  }
}
