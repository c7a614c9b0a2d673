/**
 * Decodes one 30-s window: builds the prefix, runs the KV-cached decoder loop until `<|endoftext|>` or the length
 * limit, and reports what openai-whisper's DecodingResult carries (tokens, sum/avg log-probability, no-speech
 * probability). Checks the abort signal between decoder steps.
 */
import type * as ort from 'onnxruntime-node';
import { throwIfAborted } from '../sdk';
import { applyLogitsRules, chooseToken, logSoftmax, type LogitsRules, type Random } from './logits';
import type { CrossAttention, WhisperDecoder } from './sessions';
import type { WhisperSpecialTokens } from './tokenizer';

/** openai-whisper keeps at most n_text_ctx/2 - 1 = 223 prompt tokens, so the window keeps room to decode. */
export const MAX_PROMPT_TOKENS = 223;
/** openai-whisper's sample_len: n_text_ctx / 2. */
export const MAX_NEW_TOKENS = 224;

export interface PrefixOptions {
  special: WhisperSpecialTokens;
  /** `<|xx|>` id; omitted for English-only models. */
  languageToken?: number;
  /** `<|transcribe|>` / `<|translate|>` id; omitted for English-only models. */
  taskToken?: number;
  timestamps: boolean;
  /** Previous text (or the user's prompt) as tokens; the last 223 are kept after `<|startofprev|>`. */
  promptTokens?: readonly number[];
}

export interface Prefix {
  tokens: number[];
  /** Where `<|startoftranscript|>` sits (after the prompt): its logits give the no-speech probability. */
  sotIndex: number;
}

export function buildPrefix(options: PrefixOptions): Prefix {
  const { special } = options;
  const tokens: number[] = [];
  if (options.promptTokens && options.promptTokens.length > 0) {
    tokens.push(special.startOfPrev, ...options.promptTokens.slice(-MAX_PROMPT_TOKENS));
  }
  const sotIndex = tokens.length;
  tokens.push(special.startOfTranscript);
  if (options.languageToken !== undefined) tokens.push(options.languageToken);
  if (options.taskToken !== undefined) tokens.push(options.taskToken);
  if (!options.timestamps) tokens.push(special.noTimestamps);
  return { tokens, sotIndex };
}

export interface DecodeWindowOptions {
  decoder: WhisperDecoder;
  encoderHidden: ort.Tensor;
  prefix: Prefix;
  rules: LogitsRules;
  special: WhisperSpecialTokens;
  temperature: number;
  random: Random;
  signal: AbortSignal;
  /** Tokens to decode at most (also capped by the decoder's context, `maxTargetPositions`). */
  maxNewTokens?: number;
  maxTargetPositions: number;
  /** (layer, head) pairs whose cross-attention rows to keep, for word timestamps. */
  alignmentHeads?: ReadonlyArray<readonly [number, number]>;
  /** Called with each token as it is chosen (not `<|endoftext|>`), and the window's no-speech probability. */
  onToken?: (token: number, noSpeechProb: number) => void;
}

export interface WindowDecoding {
  /** The decoded tokens after the prefix, without `<|endoftext|>`. */
  tokens: number[];
  temperature: number;
  sumLogprob: number;
  /** openai-whisper: sum of log-probabilities / (tokens + 1). */
  avgLogprob: number;
  noSpeechProb: number;
  prefix: Prefix;
  /**
   * Per alignment head, one row of cross-attention weights (`encoderFrames` long) per decoder position: the prefix
   * rows first, then one per decoded token. Present when alignment heads were asked for.
   */
  alignment?: Float32Array[][];
}

function softmaxAt(logits: Float32Array, index: number | undefined): number {
  if (index === undefined) return 0;
  return Math.exp(logSoftmax(logits)[index]);
}

export async function decodeWindow(options: DecodeWindowOptions): Promise<WindowDecoding> {
  const { decoder, prefix, rules, special, signal } = options;
  const limit = Math.max(0, Math.min(options.maxNewTokens ?? MAX_NEW_TOKENS, options.maxTargetPositions - prefix.tokens.length));
  const run = decoder.begin(options.encoderHidden);
  const alignment = options.alignmentHeads?.map(() => [] as Float32Array[]);
  const tokens: number[] = [];
  let sumLogprob = 0;
  let noSpeechProb = 0;
  let input: readonly number[] = prefix.tokens;
  for (let step = 0; step < limit; step++) {
    throwIfAborted(signal);
    const output = await run.next(input);
    if (alignment && output.crossAttentions) collectAlignment(alignment, options.alignmentHeads!, output.crossAttentions);
    if (step === 0) noSpeechProb = softmaxAt(output.logits.subarray(prefix.sotIndex * output.vocab, (prefix.sotIndex + 1) * output.vocab), special.noSpeech);
    const logits = output.logits.slice((output.rows - 1) * output.vocab, output.rows * output.vocab);
    applyLogitsRules(logits, tokens, rules);
    const token = chooseToken(logits, options.temperature, options.random);
    // Like openai-whisper, the log-probability is of the processed logits at temperature 1, and counts the EOT.
    sumLogprob += logSoftmax(logits)[token];
    if (token === special.endOfText) break;
    tokens.push(token);
    options.onToken?.(token, noSpeechProb);
    input = [token];
  }
  throwIfAborted(signal);
  return {
    tokens,
    temperature: options.temperature,
    sumLogprob,
    avgLogprob: sumLogprob / (tokens.length + 1),
    noSpeechProb,
    prefix,
    alignment,
  };
}

function collectAlignment(alignment: Float32Array[][], heads: ReadonlyArray<readonly [number, number]>, layers: CrossAttention[]): void {
  heads.forEach(([layer, head], index) => {
    const attention = layers[layer];
    if (!attention || head >= attention.heads) return;
    for (let row = 0; row < attention.rows; row++) {
      const start = (head * attention.rows + row) * attention.frames;
      alignment[index].push(attention.data.slice(start, start + attention.frames));
    }
  });
}
