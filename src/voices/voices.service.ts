/**
 * Voice cloning: a reference clip is decoded through the audio layer at 24 kHz, checked (long enough, not silent,
 * not too big), trimmed, and run once through the model's speech encoder in a worker; the result is stored and
 * used by id or by name in /v1/audio/speech. Nothing of a rejected clip is written anywhere.
 */
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { CustomVoice, VoiceEmbedding } from '../../plugins/sdk';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AudioService, SPEECH_SAMPLE_RATE } from '../engine/audio.service';
import { EngineService } from '../engine/engine.service';
import type { ServedModel } from '../engine/model-registry';
import { ApiError, blameAudioOn } from '../http/openai-error';
import type { UploadedAudio } from '../transcription/transcription.service';
import { isVoiceId, VoiceStore, type StoredVoice } from './voice-store';
import type { CreateVoiceDto, VoiceDeletedDto, VoiceResourceDto } from './voices.dto';

/** Below this RMS a clip is silence (about −60 dBFS): there is no voice to clone. */
const SILENCE_RMS = 1e-3;

export function toVoiceResource(voice: StoredVoice): VoiceResourceDto {
  return { object: 'audio.voice', id: voice.id, name: voice.name, created_at: voice.created_at };
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / Math.max(1, samples.length));
}

const badSample = (message: string, code: string, status = 400) => new ApiError(status, message, 'invalid_request_error', 'audio_sample', code);

@Injectable()
export class VoicesService implements OnModuleInit {
  readonly store: VoiceStore;
  /** Names of voices whose creation is under way (not stored yet). */
  private readonly namesBeingCreated = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly engine: EngineService,
    private readonly audio: AudioService,
  ) {
    this.store = new VoiceStore(config.VOICES_DIR, config.VOICE_CACHE_SIZE);
  }

  async onModuleInit(): Promise<void> {
    await this.store.open();
  }

  async create(dto: CreateVoiceDto, file: UploadedAudio | undefined, signal: AbortSignal): Promise<VoiceResourceDto> {
    if (!file) throw badSample("Missing required parameter: 'audio_sample'.", 'missing_required_parameter');
    if (file.buffer.length > this.config.VOICE_MAX_BYTES) {
      throw badSample(`The audio sample is larger than ${this.config.VOICE_MAX_BYTES} bytes (VOICE_MAX_BYTES).`, 'request_too_large', 413);
    }
    // Model problems first: no time is spent decoding for a request that cannot succeed.
    const model = this.engine.cloningModel(dto.model);
    // A name is taken from the check on, not from when the voice is stored: a creation under the same name that
    // arrives while this one decodes and embeds must see it (checked and reserved with no await in between).
    if (this.store.findByName(dto.name) || this.namesBeingCreated.has(dto.name)) {
      throw new ApiError(400, `A voice named '${dto.name}' exists already; names pick voices in /v1/audio/speech, so they are unique.`, 'invalid_request_error', 'name', 'duplicate_voice_name');
    }
    this.namesBeingCreated.add(dto.name);
    try {
      // The decoder takes the upload's bytes over (transfers them to its worker): keep a copy first if asked to.
      const sample = this.config.KEEP_VOICE_SAMPLES ? Buffer.from(file.buffer) : undefined;
      const embedding = await this.embedClip(file.buffer, model, 'audio_sample', signal);
      const voice = await this.store.create({ name: dto.name, model: model.info.id, consent: dto.consent }, embedding, sample);
      return toVoiceResource(voice);
    } finally {
      this.namesBeingCreated.delete(dto.name);
    }
  }

  /**
   * A reference clip → the model's voice conditioning, without storing anything: decoded at 24 kHz, at least
   * VOICE_MIN_SECONDS long, trimmed to VOICE_MAX_SECONDS, not silent, then run once through the speech encoder.
   * `param` names the request field in the 400s.
   */
  async embedClip(bytes: Uint8Array, model: ServedModel, param: string, signal: AbortSignal): Promise<VoiceEmbedding> {
    const bad = (message: string, code: string, status = 400) => new ApiError(status, message, 'invalid_request_error', param, code);
    const { samples } = await this.audio.decodeAt(bytes, SPEECH_SAMPLE_RATE, signal).catch(blameAudioOn(param));
    const seconds = samples.length / SPEECH_SAMPLE_RATE;
    if (seconds < this.config.VOICE_MIN_SECONDS) {
      throw bad(`The audio sample is ${seconds.toFixed(1)} s long; at least ${this.config.VOICE_MIN_SECONDS} s of one speaker are needed to clone a voice.`, 'audio_too_short');
    }
    const trimmed = samples.slice(0, Math.round(this.config.VOICE_MAX_SECONDS * SPEECH_SAMPLE_RATE));
    if (rms(trimmed) < SILENCE_RMS) throw bad('The audio sample is silent: there is no voice to clone.', 'audio_silent');
    return this.engine.embedVoice(model, { samples: trimmed, sampleRate: SPEECH_SAMPLE_RATE }, signal);
  }

  list(): StoredVoice[] {
    return this.store.list();
  }

  async delete(id: string): Promise<VoiceDeletedDto> {
    if (!(await this.store.delete(id))) throw new ApiError(404, `No voice with id '${id}'.`, 'invalid_request_error', 'voice_id', 'voice_not_found');
    return { id, object: 'audio.voice.deleted', deleted: true };
  }

  /**
   * The cloned voice a speech request names, if it names one: a `voice_…` id (as a string or `{id}`) by id, anything
   * else by name (a model's built-in names stay its own unless one of its cloned voices took the name; `{id: "onyx"}`
   * is onyx). A voice named by id must belong to `model`.
   */
  async forSpeech(voice: string | { id: string }, model: string): Promise<CustomVoice | undefined> {
    const key = typeof voice === 'string' ? voice : voice.id;
    const byId = isVoiceId(key);
    const stored = byId ? this.store.get(key) : this.store.findByName(key);
    if (!stored) {
      if (byId) throw new ApiError(400, `No voice with id '${key}'. GET /v1/audio/voices lists them.`, 'invalid_request_error', 'voice', 'voice_not_found');
      return undefined;
    }
    if (stored.model !== model) {
      // A name another model's voice took still means that model's built-in voice here (`nova` on espeak).
      if (!byId) return undefined;
      throw new ApiError(400, `The voice '${stored.name}' was made with the model '${stored.model}' and only works with it (this request uses '${model}').`, 'invalid_request_error', 'voice', 'voice_model_mismatch');
    }
    const embedding = await this.store.load(stored.id);
    // Deleted while this request looked it up: as if it had never been there.
    if (!embedding) throw new ApiError(400, `No voice with id '${stored.id}' (it was just deleted). GET /v1/audio/voices lists them.`, 'invalid_request_error', 'voice', 'voice_not_found');
    return { id: stored.id, name: stored.name, embedding };
  }
}
