/**
 * The Whisper transcription backend: 16 kHz audio in, OpenAI's transcription result out. Runs openai-whisper's
 * `transcribe()` loop (seek over 30-s windows, temperature fallback, no-speech skip, previous text as prompt) on one
 * encoder and one merged decoder session.
 */
import {
  PluginInputError,
  throwIfAborted,
  type TranscriptionBackend,
  type TranscriptionProgress,
  type TranscriptionRequest,
  type TranscriptionResult,
  type TranscriptionSegment,
  type TranscriptionWord,
} from '../sdk';
import type { WhisperConfigs } from './configs';
import { decodeWindow, buildPrefix, type WindowDecoding } from './decode-window';
import { compressionRatio, decodeWithFallback, isSilence, type FallbackSettings } from './fallback';
import { detectLanguage, resolveLanguage } from './language';
import { LogMelExtractor, SAMPLE_RATE, HOP_LENGTH } from './log-mel';
import type { LogitsRules, Random } from './logits';
import { clampToAudio, FRAMES_PER_SECOND, splitWindow, WINDOW_FRAMES } from './seek';
import type { WhisperDecoder, WhisperEncoder } from './sessions';
import type { WhisperTokenizer } from './tokenizer';
import { segmentWords, tokenStartTimes, wordTimestampsUnavailable } from './word-timestamps';

export interface WhisperTranscriberOptions {
  modelId: string;
  configs: WhisperConfigs;
  tokenizer: WhisperTokenizer;
  encoder: WhisperEncoder;
  decoder: WhisperDecoder;
  fallback: FallbackSettings;
  /** Sampling at temperature > 0 draws from this (default Math.random). */
  random?: Random;
}

interface DecodedWindow extends WindowDecoding {
  text: string;
  compressionRatio: number;
}

/**
 * Emits text deltas that concatenate to the final (trimmed) text: whitespace at the very start is dropped and
 * whitespace at the end is held back until more text follows it.
 */
class TrimmedTextStream {
  private started = false;
  private pendingSpace = '';

  constructor(private readonly onText: ((delta: string) => void) | undefined) {}

  /** The held-back whitespace, to restore when text pushed since turns out not to be part of the transcript. */
  get held(): string {
    return this.pendingSpace;
  }

  restoreHeld(held: string): void {
    this.pendingSpace = held;
  }

  push(delta: string): void {
    if (!this.onText || delta === '') return;
    let text = this.pendingSpace + delta;
    if (!this.started) text = text.trimStart();
    const body = text.trimEnd();
    this.pendingSpace = text.slice(body.length);
    if (body.length > 0) {
      this.started = true;
      this.onText(body);
    }
  }
}

export class WhisperTranscriber implements TranscriptionBackend {
  private readonly extractor: LogMelExtractor;
  private readonly random: Random;
  private readonly alignmentHeads: Array<[number, number]>;

  constructor(private readonly options: WhisperTranscriberOptions) {
    this.extractor = new LogMelExtractor(options.configs.model.num_mel_bins);
    this.random = options.random ?? Math.random;
    const { generation, model } = options.configs;
    // openai-whisper's default when a checkpoint names none: every head of the upper half of the decoder.
    this.alignmentHeads =
      generation.alignment_heads.length > 0
        ? generation.alignment_heads
        : Array.from({ length: model.decoder_layers - Math.floor(model.decoder_layers / 2) }, (_, i) => i + Math.floor(model.decoder_layers / 2)).flatMap(
            (layer) => Array.from({ length: model.decoder_attention_heads }, (_, head) => [layer, head] as [number, number]),
          );
  }

  get multilingual(): boolean {
    return this.options.configs.generation.is_multilingual;
  }

  async transcribe(request: TranscriptionRequest, signal: AbortSignal, progress?: TranscriptionProgress): Promise<TranscriptionResult> {
    throwIfAborted(signal);
    const { tokenizer, configs, decoder } = this.options;
    const special = tokenizer.special;
    if (request.task === 'translate' && !this.multilingual) {
      throw new PluginInputError(`The model '${this.options.modelId}' is English-only and cannot translate.`, 'model', 'unsupported_value');
    }
    const wantWords = request.timestamps.word;
    if (wantWords && !decoder.hasCrossAttentions) throw wordTimestampsUnavailable(this.options.modelId);
    const withTimestamps = request.timestamps.segment || wantWords;
    let language = request.language ? resolveLanguage(request.language, tokenizer, this.multilingual) : this.multilingual ? undefined : 'en';

    const audio = request.audio;
    const contentFrames = Math.floor(audio.length / HOP_LENGTH);
    // Timestamp tokens can point past the end of the audio (a window is always 30 s to the model); OpenAI never
    // reports times after the end, so segment and word times stop here (rounded down to the 0.01 s they are shown in).
    const lastTime = Math.floor((audio.length / SAMPLE_RATE) * 100) / 100;
    const rules: LogitsRules = {
      suppressTokens: configs.generation.suppress_tokens,
      beginSuppressTokens: configs.generation.begin_suppress_tokens,
      timestamps: withTimestamps
        ? {
            timestampBegin: special.timestampBegin,
            noTimestamps: special.noTimestamps,
            endOfText: special.endOfText,
            maxInitialTimestampIndex: configs.generation.max_initial_timestamp_index,
          }
        : undefined,
    };
    const initialPrompt = request.prompt?.trim() ? tokenizer.encode(` ${request.prompt.trim()}`) : [];
    const allTokens: number[] = [...initialPrompt];
    let promptResetSince = 0;
    const segments: TranscriptionSegment[] = [];
    const words: TranscriptionWord[] = [];
    const textTokens: number[] = [];
    const streamDecoder = tokenizer.createStreamingDecoder({ skipSpecial: true });
    const stream = new TrimmedTextStream(progress?.onText?.bind(progress));
    // Text is final as soon as it is decoded when nothing can discard it later: one pass (no fallback), no
    // timestamp segments to drop, and a window the model does not suspect of silence. Otherwise it is reported
    // once its window has passed those checks.
    const streamTokens = progress?.onText !== undefined && !withTimestamps && !this.options.fallback.enabled;

    let seek = 0;
    while (seek < contentFrames) {
      throwIfAborted(signal);
      const segmentFrames = Math.min(WINDOW_FRAMES, contentFrames - seek);
      const features = this.extractor.compute(audio, seek * HOP_LENGTH);
      const hidden = await this.options.encoder.encode(features, configs.model.num_mel_bins);
      throwIfAborted(signal);
      if (language === undefined) language = await detectLanguage(decoder, hidden, tokenizer);
      const prefix = buildPrefix({
        special,
        languageToken: this.multilingual ? tokenizer.languageToken(language) : undefined,
        taskToken: this.multilingual ? (request.task === 'translate' ? special.translate : special.transcribe) : undefined,
        timestamps: withTimestamps,
        promptTokens: allTokens.slice(promptResetSince),
      });
      let streamedLive = false;
      const heldBeforeWindow = stream.held;
      const onToken = (token: number, noSpeechProb: number) => {
        if (noSpeechProb > this.options.fallback.noSpeechThreshold) return;
        streamedLive = true;
        if (token < special.endOfText) stream.push(streamDecoder.push([token]));
      };
      const result = await decodeWithFallback<DecodedWindow>(request.temperature, this.options.fallback, async (temperature) => {
        const decoded = await decodeWindow({
          decoder,
          encoderHidden: hidden,
          prefix,
          rules,
          special,
          temperature,
          random: this.random,
          signal,
          maxTargetPositions: configs.model.max_target_positions,
          alignmentHeads: wantWords ? this.alignmentHeads : undefined,
          onToken: streamTokens ? onToken : undefined,
        });
        const text = tokenizer.decode(decoded.tokens, { skipSpecial: true });
        return { ...decoded, text, compressionRatio: compressionRatio(text) };
      });

      if (isSilence(result, this.options.fallback)) {
        // openai-whisper: the model says nothing is said here and is not confident otherwise; skip the window.
        seek += segmentFrames;
        continue;
      }

      const split = withTimestamps
        ? splitWindow(result.tokens, special.timestampBegin, seek, segmentFrames)
        : { segments: [{ from: 0, to: result.tokens.length, start: seek / FRAMES_PER_SECOND, end: (seek + segmentFrames) / FRAMES_PER_SECOND }], nextSeek: seek + segmentFrames };
      const kept = split.segments.map((raw) => {
        const tokens = result.tokens.slice(raw.from, raw.to);
        const text = tokenizer.decode(tokens.filter((token) => token < special.endOfText));
        // An instantaneous or empty segment is a decoding artefact: keep its place, drop its content.
        const empty = raw.start === raw.end || text.trim() === '';
        return { slice: clampToAudio(raw, lastTime), tokens: empty ? [] : tokens, text: empty ? '' : text };
      });
      if (wantWords && result.alignment) {
        const times = tokenStartTimes({
          alignment: result.alignment,
          prefixLength: prefix.tokens.length,
          tokenCount: result.tokens.length,
          audioFrames: Math.floor(segmentFrames / 2),
          medianFilterWidth: configs.model.median_filter_width,
        });
        const spans = kept.filter((segment) => segment.tokens.length > 0).map(({ slice }) => slice);
        words.push(...segmentWords(tokenizer, result.tokens, times, seek / FRAMES_PER_SECOND, spans, language));
      }
      for (const { slice, tokens, text } of kept) {
        segments.push({
          id: segments.length,
          seek,
          start: slice.start,
          end: slice.end,
          text,
          tokens,
          temperature: result.temperature,
          avg_logprob: result.avgLogprob,
          compression_ratio: result.compressionRatio,
          no_speech_prob: result.noSpeechProb,
        });
        allTokens.push(...tokens);
        const spoken = tokens.filter((token) => token < special.endOfText);
        textTokens.push(...spoken);
        if (!streamedLive) stream.push(streamDecoder.push(spoken));
        // A window kept no text (whitespace only): what it streamed was held back and must not reach the next one.
        else if (tokens.length === 0) stream.restoreHeld(heldBeforeWindow);
      }
      // openai-whisper stops conditioning on text decoded at a high temperature: it is likely wrong.
      if (result.temperature > 0.5) promptResetSince = allTokens.length;
      // A window must move the seek forward, even when its only complete segment ends at <|0.00|>.
      seek = split.nextSeek > seek ? split.nextSeek : seek + segmentFrames;
    }
    stream.push(streamDecoder.finish());

    return {
      text: tokenizer.decode(textTokens, { skipSpecial: true }).trim(),
      language: language ?? 'en',
      duration: audio.length / SAMPLE_RATE,
      segments,
      words,
    };
  }
}
