import { Inject, Injectable } from '@nestjs/common';
import type { CustomVoice, Pcm, SpeechRequest } from '../../plugins/sdk';
import type { OutputFormat } from '../audio/encoder';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AudioService } from '../engine/audio.service';
import { EngineService } from '../engine/engine.service';
import { ApiError, blameAudioOn } from '../http/openai-error';
import { VoicesService } from '../voices/voices.service';

export interface HeardAudio {
  text: string;
  seconds: number;
}

/** Base64 as clients send it: standard or URL-safe alphabet, optional padding, maybe a data: URL prefix. */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Audio from JSON bodies in, speech out: the parts the chat routes share with the engine. */
@Injectable()
export class VoiceIoService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly engine: EngineService,
    private readonly audio: AudioService,
    private readonly voices: VoicesService,
  ) {}

  /** Base64 audio in a JSON field → bytes; `param` names the field in the 400 when it is not base64 audio. */
  decodeBase64(data: unknown, param: string): Uint8Array {
    const text = typeof data === 'string' ? data.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '') : '';
    const bytes = BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (bytes.length === 0) throw new ApiError(400, `'${param}' must be non-empty base64-encoded audio.`, 'invalid_request_error', param, 'invalid_value');
    return bytes;
  }

  /** Decodes (bounded by MAX_AUDIO_SECONDS, like uploads) to 16 kHz mono; `param` names the field in the 4xx. */
  decode(bytes: Uint8Array, param: string, signal: AbortSignal): Promise<Pcm> {
    return this.audio.decode(bytes, signal).catch(blameAudioOn(param));
  }

  /**
   * Throws a 400 naming the setting when TRANSCRIPTION_MODEL_FOR_CHAT is not installed: the client never named that
   * model, so the plain "model not found" would point at the wrong field.
   */
  checkTranscription(param: string): void {
    const model = this.config.TRANSCRIPTION_MODEL_FOR_CHAT;
    if (this.engine.registry.has(model)) return;
    throw new ApiError(
      400,
      `Audio input needs a speech-to-text model, and this server has none installed as TRANSCRIPTION_MODEL_FOR_CHAT ('${model}'). Send text, or ask the operator to install one (npm run models -- pull …).`,
      'invalid_request_error',
      param,
      'transcription_unavailable',
    );
  }

  /** Speech-to-text with TRANSCRIPTION_MODEL_FOR_CHAT. */
  async transcribe(pcm: Pcm, signal: AbortSignal, language?: string): Promise<HeardAudio> {
    // Measured first: the samples move into the worker thread (their buffer is transferred, not copied).
    const seconds = pcm.samples.length / pcm.sampleRate;
    const result = await this.engine.transcribe(
      {
        model: this.config.TRANSCRIPTION_MODEL_FOR_CHAT,
        task: 'transcribe',
        audio: pcm.samples,
        language,
        temperature: 0,
        timestamps: { segment: false, word: false },
      },
      signal,
    );
    return { text: result.text.trim(), seconds };
  }

  /** Whether SPEECH_MODEL_FOR_CHAT can clone a voice from a reference clip. */
  canClone(): boolean {
    return this.engine.registry.resolve(this.config.SPEECH_MODEL_FOR_CHAT, 'speech').info.capabilities?.voiceCloning === true;
  }

  /**
   * A one-off voice from a reference clip (nothing is stored), under the same rules as POST /v1/audio/voices.
   * Call `canClone()` first.
   */
  async cloneFromClip(bytes: Uint8Array, param: string, signal: AbortSignal): Promise<CustomVoice> {
    const model = this.engine.registry.resolve(this.config.SPEECH_MODEL_FOR_CHAT, 'speech');
    return { id: 'voice_reference_clip', name: 'reference clip', embedding: await this.voices.embedClip(bytes, model, param, signal) };
  }

  /**
   * Speaks the pieces one after another with SPEECH_MODEL_FOR_CHAT, as one stream of audio. Each piece is a
   * separate request to the backend, so a long reply never exceeds a model's input limit. `voice` is a built-in
   * voice, a cloned voice's id or name (as in /v1/audio/speech), or a one-off voice from `cloneFromClip`.
   */
  async *speak(pieces: Iterable<string> | AsyncIterable<string>, voice: string | CustomVoice, signal: AbortSignal, extra: Record<string, unknown> = {}): AsyncGenerator<Pcm> {
    const model = this.config.SPEECH_MODEL_FOR_CHAT;
    const customVoice = typeof voice === 'string' ? await this.voices.forSpeech(voice, this.engine.registry.resolve(model, 'speech').info.id) : voice;
    for await (const input of pieces) {
      const request: SpeechRequest = { model, input, voice: typeof voice === 'string' ? voice : voice.id, speed: 1, extra };
      if (customVoice) request.customVoice = customVoice;
      const { audio } = await this.engine.synthesize(request, signal);
      yield* audio;
    }
  }

  /** Encodes speech at 24 kHz, as /v1/audio/speech does; `onSamples` counts the output for usage. */
  encode(audio: AsyncIterable<Pcm>, format: OutputFormat, onSamples?: (count: number) => void): AsyncGenerator<Uint8Array> {
    return this.audio.encode(audio, format, onSamples);
  }
}

/** Collects an async iterable of byte chunks. */
export async function collectBytes(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
