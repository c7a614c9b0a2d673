/**
 * The Chatterbox speech backend: per sentence chunk, normalize → tokenize in the variant's layout → generate speech
 * tokens → decode them incrementally, yielding 24 kHz audio as soon as each window is decoded. Also the cloning
 * backend: one speech-encoder run per reference clip.
 */
import { PluginInputError, throwIfAborted, type Pcm, type PluginLogger, type SpeechBackend, type SpeechRequest, type VoiceCloningBackend, type VoiceEmbedding } from '../sdk';
import { SAMPLE_RATE } from './constants';
import { generateSpeechTokens, type GenerationModel } from './generate';
import { parseOptions, type ChatterboxOptions } from './options';
import type { ChatterboxVoice, ConditionalDecoder, SpeechEncoder } from './sessions';
import { stretchTime } from './time-stretch';
import { chunkText, normalizePunctuation } from './text';
import type { ChatterboxTokenizer } from './tokenizer';
import { IncrementalVocoder, DEFAULT_WINDOWS, type WindowSettings } from './vocoder';
import { embeddingFromTensors, referenceSamples, voiceFromEmbedding, type BuiltInVoices } from './voices';

export interface SynthesizerParts extends GenerationModel {
  tokenizer: ChatterboxTokenizer;
  encoder: SpeechEncoder;
  decoder: ConditionalDecoder;
  voices: BuiltInVoices;
  /** Multilingual exports: the `[xx]` language codes; empty = English-only. */
  languages: readonly string[];
  maxNewTokens: number;
  windows?: WindowSettings;
  /** For a debug line as each sentence chunk starts (its number only, never its text). */
  log?: PluginLogger;
}

export class ChatterboxSynthesizer implements SpeechBackend, VoiceCloningBackend {
  constructor(private readonly parts: SynthesizerParts) {}

  synthesize(request: SpeechRequest, signal: AbortSignal): AsyncIterable<Pcm> {
    return this.run(request, signal);
  }

  async embed(reference: Pcm, signal: AbortSignal): Promise<VoiceEmbedding> {
    throwIfAborted(signal);
    return embeddingFromTensors(await this.parts.encoder.encode(referenceSamples(reference)));
  }

  private async *run(request: SpeechRequest, signal: AbortSignal): AsyncGenerator<Pcm> {
    // Everything that can be the client's fault is checked before the first audio (the server answers 400 then).
    const options = parseOptions(request.extra);
    const language = this.language(options);
    const voice = request.customVoice ? voiceFromEmbedding(request.customVoice.embedding) : await this.parts.voices.get(request.voice);
    const chunks = chunkText(request.input);
    for (const [index, chunk] of chunks.entries()) {
      throwIfAborted(signal);
      // Progress an operator can follow at debug level, and the order a test can check (audio leaves per chunk).
      this.parts.log?.debug('Chatterbox sentence chunk started', { chunk: index + 1, of: chunks.length });
      const prompt = this.parts.tokenizer.encodePrompt(normalizePunctuation(chunk), this.parts.embedder.variant, language);
      for await (const samples of this.speak(prompt, voice, options, signal)) {
        const out = request.speed === 1 ? samples : stretchTime(samples, request.speed);
        if (out.length > 0) yield { samples: out, sampleRate: SAMPLE_RATE };
      }
    }
  }

  /** One chunk: its audio, window by window. */
  private async *speak(prompt: number[], voice: ChatterboxVoice, options: ChatterboxOptions, signal: AbortSignal): AsyncGenerator<Float32Array> {
    const vocoder = new IncrementalVocoder((tokens) => this.parts.decoder.decode(tokens, voice), voice.promptTokens, this.parts.windows ?? DEFAULT_WINDOWS);
    const tokens = generateSpeechTokens(this.parts, voice, prompt, { ...options, maxNewTokens: this.parts.maxNewTokens }, signal);
    for await (const token of tokens) {
      if (vocoder.push(token)) yield await vocoder.flush(false);
    }
    throwIfAborted(signal);
    yield await vocoder.flush(true);
  }

  private language(options: ChatterboxOptions): string | undefined {
    const { languages } = this.parts;
    if (languages.length === 0) {
      if (options.language !== undefined && options.language !== 'en') throw new PluginInputError('This Chatterbox model speaks English only; use a multilingual export for other languages.', 'language', 'unsupported_language');
      return undefined;
    }
    const language = options.language ?? 'en';
    if (!languages.includes(language)) throw new PluginInputError(`language must be one of ${languages.join(', ')}.`, 'language', 'unsupported_language');
    return language;
  }
}
