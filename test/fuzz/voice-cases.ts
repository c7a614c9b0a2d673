/**
 * Hostile requests for cloned voices: POST /v1/audio/voices with clips that are too short, too long, silent,
 * truncated or bit-flipped, not audio or too big, under missing, doubled or misnamed fields and bad names; and
 * DELETE /v1/audio/voices/{id} with traversal, encoded, overlong and near-miss ids.
 */
import fc from 'fast-check';
import { tone } from '../utils/signal';
import { encodeTestInput, silentWav } from '../utils/test-audio';
import { BOUNDARY, hostileText, multipartBody, percentEncode, type FuzzRequest, type Part } from './http-cases';
import { CLIP_FORMATS, encodeClips, uploadArbitrary, type Clips } from './media-corpus';

const CREATE = 'POST /v1/audio/voices';
const DELETE = 'DELETE /v1/audio/voices/{id}';

/** Reference clips: 6 s in every container (clonable as they are), and one of each kind the server must refuse. */
export interface VoiceClips {
  clonable: Clips;
  /** 2 s: under VOICE_MIN_SECONDS. */
  short: Uint8Array;
  /** 12 s: trimmed to VOICE_MAX_SECONDS. */
  long: Uint8Array;
  /** 6 s of digital silence. */
  silent: Uint8Array;
  /** Larger than `maxBytes` (VOICE_MAX_BYTES of the fuzz server). */
  oversize: Uint8Array;
}

export async function encodeVoiceClips(maxBytes: number): Promise<VoiceClips> {
  const wav = (seconds: number) => encodeTestInput('wav', { samples: tone(220, seconds, 16_000), sampleRate: 16_000 });
  return {
    clonable: await encodeClips(6),
    short: await wav(2),
    long: await wav(12),
    silent: silentWav(6, 16_000),
    // A true WAV header on more data than the limit allows: refused by size before any decoding.
    oversize: silentWav((maxBytes + 2) / 2 / 8_000, 8_000),
  };
}

/** Names a client picks: a small pool (so duplicates happen, also concurrently) and the edges of `name`. */
const voiceName = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 24 }).map((n) => `fuzz voice ${n}`) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(256), 'x'.repeat(257), '__proto__', 'constructor', `voice_${'0'.repeat(32)}`, 'alloy', 'nova', '../../etc/passwd', 'ünïcødé ✓', 'a\u0000b', 'a\r\nb') },
  { weight: 1, arbitrary: hostileText },
);

const consent = fc.oneof({ weight: 6, arbitrary: fc.constant('cons_fuzz') }, { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(1025)) }, { weight: 1, arbitrary: hostileText });

const cloningModel = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(undefined, 'cloner-tts') },
  { weight: 1, arbitrary: fc.constantFrom('tts-1', 'espeak', 'whisper-1', 'no-such-model', '', '__proto__') },
);

/** Mostly `usual`, now and then one of `odd`. */
const mostly = <T>(usual: T, odd: T[]) => fc.oneof({ weight: 4 * odd.length, arbitrary: fc.constant(usual) }, { weight: 1 * odd.length, arbitrary: fc.constantFrom(...odd) });

function sampleArbitrary(clips: VoiceClips): fc.Arbitrary<{ label: string; bytes: Uint8Array }> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...CLIP_FORMATS).map((format) => ({ label: `6 s ${format}`, bytes: clips.clonable[format] })) },
    { weight: 1, arbitrary: fc.constant({ label: '2 s wav (too short)', bytes: clips.short }) },
    { weight: 1, arbitrary: fc.constant({ label: '12 s wav (too long)', bytes: clips.long }) },
    { weight: 1, arbitrary: fc.constant({ label: '6 s of silence', bytes: clips.silent }) },
    { weight: 1, arbitrary: fc.constant({ label: 'over VOICE_MAX_BYTES', bytes: clips.oversize }) },
    { weight: 5, arbitrary: uploadArbitrary(clips.clonable).map((upload) => ({ label: upload.label, bytes: upload.bytes })) },
  );
}

/** Where the clip goes: the right field, none, two of them, the wrong field, or a plain field without a file name. */
const sampleLayout = mostly<'file' | 'none' | 'twice' | 'wrong field' | 'as text field'>('file', ['none', 'twice', 'wrong field', 'as text field']);
/** Fields other than the clip: present once, missing, or sent twice with two values. */
const fieldLayout = mostly<'once' | 'missing' | 'twice'>('once', ['missing', 'twice']);

export function voiceCreateArbitrary(clips: VoiceClips): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      name: voiceName,
      otherName: voiceName,
      nameLayout: fieldLayout,
      consent,
      consentLayout: fieldLayout,
      model: cloningModel,
      sample: sampleArbitrary(clips),
      sampleLayout,
      filename: mostly('reference.wav', ['a.mp3', '', '../../x.wav', 'a.txt']),
      extra: mostly<Part | undefined>(undefined, [{ name: '__proto__', data: 'x' }, { name: 'constructor[prototype][polluted]', data: 'x' }, { name: 'unknown', data: 'x' }, { name: 'name[]', data: 'x' }]),
      clipFirst: fc.boolean(),
      mediaType: mostly('multipart/form-data', ['application/json', 'multipart/form-data; boundary=wrong']),
    })
    .map((c) => {
      const field = (name: string, layout: 'once' | 'missing' | 'twice', value: string, other: string): Part[] =>
        layout === 'missing' ? [] : layout === 'twice' ? [{ name, data: value }, { name, data: other }] : [{ name, data: value }];
      const file: Part = { name: 'audio_sample', filename: c.filename, contentType: 'audio/wav', data: c.sample.bytes };
      const clip: Part[] = {
        file: [file],
        none: [],
        twice: [file, file],
        'wrong field': [{ ...file, name: 'file' }],
        'as text field': [{ name: 'audio_sample', data: c.sample.bytes.subarray(0, 60 * 1024) }],
      }[c.sampleLayout];
      const fields = [...field('name', c.nameLayout, c.name, c.otherName), ...field('consent', c.consentLayout, c.consent, 'cons_other'), ...(c.model !== undefined ? [{ name: 'model', data: c.model }] : []), ...(c.extra ? [c.extra] : [])];
      const parts = c.clipFirst ? [...clip, ...fields] : [...fields, ...clip];
      const contentType = c.mediaType === 'multipart/form-data' ? `multipart/form-data; boundary=${BOUNDARY}` : c.mediaType;
      return {
        route: CREATE,
        label: `voice ${JSON.stringify(c.name.slice(0, 40))} (name ${c.nameLayout}, consent ${c.consentLayout}, model ${c.model ?? '(none)'}): ${c.sample.label} ${c.sampleLayout} as ${contentType}`,
        method: 'POST',
        path: '/v1/audio/voices',
        headers: { 'content-type': contentType },
        body: multipartBody(BOUNDARY, parts),
      };
    });
}

const deleteRequest = (rawId: string, method = 'DELETE'): FuzzRequest => ({
  route: DELETE,
  label: `${method} voice ${JSON.stringify(rawId.slice(0, 60))}${rawId.length > 60 ? ` (${rawId.length} chars)` : ''}`,
  method,
  path: `/v1/audio/voices/${rawId}`,
  headers: {},
});

const RAW_IDS = [
  '..%2F..',
  '..%2F..%2Fetc%2Fpasswd',
  '..%2F..%2Fpackage.json',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fsrc',
  '..%5C..%5Cwindows',
  '%2F',
  '%2Fetc%2Fpasswd',
  '.',
  '..',
  `voice_${'0'.repeat(32)}`,
  `VOICE_${'F'.repeat(32)}`,
  `.tmp-voice_${'0'.repeat(32)}`,
  `.trash-voice_${'0'.repeat(32)}`,
  '%00',
  `voice_${'0'.repeat(31)}%00`,
  '%',
  '%ZZ',
  '%C0%AE%C0%AE',
  '__proto__',
  'constructor',
  'hasOwnProperty',
];

/** DELETE (and other methods) on /v1/audio/voices/{id} with ids no voice has. */
export const voiceDeleteArbitrary: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...RAW_IDS).map((id) => deleteRequest(id)) },
  { weight: 2, arbitrary: hostileText.map((id) => deleteRequest(percentEncode(id))) },
  // Long ids, up to past Node's 16 KiB header limit (431).
  { weight: 1, arbitrary: fc.integer({ min: 257, max: 20_000 }).map((length) => deleteRequest(`voice_${'a'.repeat(length)}`)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH'), fc.constantFrom(...RAW_IDS)).map(([method, id]) => deleteRequest(id, method)) },
);

/** Speech with a cloned voice, by id: sent beside its deletion, it races it. */
function speakWith(id: string): FuzzRequest {
  return {
    route: 'POST /v1/audio/speech',
    label: `speech with cloned voice ${id}, racing its deletion`,
    method: 'POST',
    path: '/v1/audio/speech',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ model: 'cloner-tts', voice: { id }, input: 'Hello.', response_format: 'pcm' })),
  };
}

/** Near misses of a real voice's id (traversal around it, case, padding, suffixes), then the id itself, amid speech with it. */
export function realIdDeletes(id: string): FuzzRequest[] {
  const near = [`..%2F${id}`, `${id}%2F..`, `${id}%2F..%2F..`, `%2e%2e%2f${id}`, id.toUpperCase(), `${id}%00`, `%20${id}`, `${id}.json`, `${id}%2Fvoice.json`, `${id}x`];
  return [...near.map((raw) => deleteRequest(raw)), speakWith(id), deleteRequest(id), speakWith(id)];
}
