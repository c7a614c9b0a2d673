/**
 * Which speech requests the audio cache may answer, and under which key. The key is a sha256 over everything that
 * decides the bytes of the answer, so two requests share an entry only when they would get the same audio.
 */
import { createHash } from 'node:crypto';
import type { StoredVoice } from '../voices/voice-store';
import { OPENAI_FIELDS, SPEECH_EXTENSION_FIELDS, type CreateSpeechDto } from './speech.dto';

/** Bump when the meaning of a key changes, so entries of an older layout are never served. */
const KEY_VERSION = 1;

/**
 * The cache key of a request, or undefined when its answer must not be cached:
 * - `stream_format: "sse"` bypasses the cache (its events carry usage counted while encoding; chunked audio is the
 *   answer worth caching, and the one Pollinations and most clients ask for);
 * - sampling without a seed: `temperature` above 0 and no `seed` asks for a different take each time. Greedy
 *   decoding (no temperature, or 0) and seeded sampling are deterministic in every backend shipped (eSpeak has no
 *   sampling at all; Chatterbox is greedy unless `temperature` > 0, reproducible with `seed`);
 * - any extra field this server does not declare: it goes to the backend, which might read it as a sampling switch
 *   this code cannot judge, so such a request is conservatively not cached.
 *
 * `model` is the resolved id (not the alias: ALIASES may move). A cloned voice counts by its id and creation time,
 * so a voice deleted and re-made under the same name is a different key; a deleted voice is refused (400) before
 * the cache is consulted at all.
 */
export function speechCacheKey(dto: CreateSpeechDto, model: string, clonedVoice: StoredVoice | undefined): string | undefined {
  if (dto.stream_format === 'sse') return undefined;
  // OpenAI's own fields are keyed one by one below (`stream_format` decides the bypass, not the bytes).
  const extensions: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(dto)) {
    if (value === undefined || OPENAI_FIELDS.has(field)) continue;
    if (!SPEECH_EXTENSION_FIELDS.has(field)) return undefined;
    extensions[field] = value;
  }
  if (typeof dto.temperature === 'number' && dto.temperature > 0 && dto.seed === undefined) return undefined;
  const voice = clonedVoice ? { id: clonedVoice.id, created_at: clonedVoice.created_at } : typeof dto.voice === 'string' ? dto.voice : dto.voice.id;
  const identity = {
    v: KEY_VERSION,
    model,
    input: dto.input,
    voice,
    speed: dto.speed ?? 1,
    instructions: dto.instructions ?? null,
    response_format: dto.format,
    // Sorted, so the order fields arrived in never changes the key.
    extensions: Object.fromEntries(Object.entries(extensions).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

