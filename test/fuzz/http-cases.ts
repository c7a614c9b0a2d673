/**
 * Hostile HTTP requests as fast-check arbitraries: uploads from the media corpus, malformed multipart (broken or
 * mismatched boundaries, no closing delimiter, missing or doubled `file`, duplicate and prototype-polluting fields,
 * too many or too large fields), JSON speech bodies with wrong types, arrays, deep nesting and `__proto__` keys,
 * and lookups of models and voices with any id.
 */
import fc from 'fast-check';
import type { Upload } from './media-corpus';

export interface FuzzRequest {
  /** What the figures are grouped by, e.g. `POST /v1/audio/voices`. */
  route: string;
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface Part {
  name?: string;
  filename?: string;
  contentType?: string;
  data: Uint8Array | string;
}

/** A multipart/form-data body written by hand, so it can be wrong in every way a parser must survive. */
export function multipartBody(boundary: string, parts: Part[], options: { closing?: boolean; eol?: string } = {}): Buffer {
  const eol = options.eol ?? '\r\n';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}${eol}`;
    if (part.name !== undefined) head += `Content-Disposition: form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}${eol}`;
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}${eol}`;
    chunks.push(Buffer.from(`${head}${eol}`, 'utf8'), Buffer.from(part.data), Buffer.from(eol));
  }
  if (options.closing ?? true) chunks.push(Buffer.from(`--${boundary}--${eol}`));
  return Buffer.concat(chunks);
}

export const BOUNDARY = 'fuzzBoundary7MA4YWxkTrZu0gW';
const TRANSCRIPTION_ROUTES = ['/v1/audio/transcriptions', '/v1/audio/translations'] as const;

/** A well-formed upload of a corpus file: only the bytes (and the name and type they claim) are hostile. */
export function uploadRequest(upload: Upload, route: (typeof TRANSCRIPTION_ROUTES)[number]): FuzzRequest {
  return {
    route: `POST ${route}`,
    label: `${route.split('/').pop()}: ${upload.label} as ${upload.filename || '(no name)'} (${upload.contentType})`,
    method: 'POST',
    path: route,
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: multipartBody(BOUNDARY, [
      { name: 'model', data: 'whisper-1' },
      { name: 'file', filename: upload.filename, contentType: upload.contentType, data: upload.bytes },
    ]),
  };
}

export const transcriptionRoute = fc.constantFrom(...TRANSCRIPTION_ROUTES);

/** Strings a hostile client puts where a name or a value belongs. */
export const hostileText = fc.oneof(
  fc.constantFrom('', ' ', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'NaN', 'Infinity', '-1', '1e309', '0x10', 'null', 'true', '[]', '{}', '%00', '\u0000', '\ud800', '../', 'x'.repeat(5000)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const FIELD_NAMES = ['model', 'prompt', 'language', 'temperature', 'response_format', 'timestamp_granularities[]', 'timestamp_granularities', 'stream', 'include[]', 'file'];
const PROTO_FIELD_NAMES = ['__proto__', '__proto__[model]', 'constructor[prototype][polluted]', 'model[__proto__][polluted]', 'prompt[constructor]', 'a[b][c][d][e][f][g][h]', 'x'.repeat(300)];
const FIELD_VALUES = new Map<string, string[]>(Object.entries({
  model: ['whisper-1', 'probe-stt', 'tts-1', 'espeak'],
  language: ['en', 'de', 'EN', 'zz', 'english'],
  temperature: ['0', '0.5', '1', '-0.1', '1.5', 'NaN', 'abc'],
  response_format: ['json', 'text', 'srt', 'verbose_json', 'vtt', 'mp3', 'JSON'],
  'timestamp_granularities[]': ['word', 'segment', 'char'],
  timestamp_granularities: ['word,segment', 'word', ''],
  stream: ['true', 'false', '1', 'yes'],
  'include[]': ['logprobs', 'everything'],
  prompt: ['hello', 'x'.repeat(4097)],
}));

function fieldPart(clip: Uint8Array): fc.Arbitrary<Part> {
  const name = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 2, arbitrary: fc.constantFrom(...PROTO_FIELD_NAMES) }, { weight: 1, arbitrary: hostileText });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.tuple(name, fc.boolean(), hostileText, fc.nat()).map(([field, known, text, pick]): Part => {
        const values = FIELD_VALUES.get(field) ?? ['x'];
        return { name: field, data: known ? values[pick % values.length] : text };
      }),
    },
    { weight: 2, arbitrary: fc.constantFrom('file', 'audio', 'file[]', 'model').map((field): Part => ({ name: field, filename: 'a.wav', contentType: 'audio/wav', data: clip })) },
    { weight: 1, arbitrary: fc.constant<Part>({ name: 'prompt', data: 'x'.repeat(70 * 1024) }) },
    { weight: 1, arbitrary: hostileText.map((text): Part => ({ data: text })) },
    { weight: 1, arbitrary: hostileText.map((text): Part => ({ name: 'file', filename: text, contentType: text, data: clip.subarray(0, 512) })) },
  );
}

/** Multipart requests that are wrong in shape: the parser and the validation must answer them, never crash. */
export function malformedMultipartArbitrary(clip: Uint8Array): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      route: transcriptionRoute,
      parts: fc.oneof(fc.array(fieldPart(clip), { maxLength: 8 }), fc.array(fieldPart(clip), { minLength: 30, maxLength: 60 })),
      withValidModelAndFile: fc.boolean(),
      declaredBoundary: fc.oneof({ weight: 4, arbitrary: fc.constant(BOUNDARY) }, { weight: 1, arbitrary: fc.constantFrom('', 'other', '"unterminated', BOUNDARY.slice(1), 'b'.repeat(80)) }),
      closing: fc.boolean(),
      eol: fc.constantFrom('\r\n', '\r\n', '\n'),
      junk: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
      mediaType: fc.constantFrom('multipart/form-data', 'multipart/form-data', 'multipart/form-data', 'Multipart/Form-Data', 'multipart/mixed'),
    })
    .map(({ route, parts, withValidModelAndFile, declaredBoundary, closing, eol, junk, mediaType }) => {
      const all: Part[] = withValidModelAndFile ? [{ name: 'model', data: 'whisper-1' }, ...parts, { name: 'file', filename: 'a.wav', contentType: 'audio/wav', data: clip }] : parts;
      const body = Buffer.concat([junk ?? Buffer.alloc(0), multipartBody(BOUNDARY, all, { closing, eol })]);
      return {
        route: `POST ${route}`,
        label: `malformed multipart (${parts.length} parts, boundary ${JSON.stringify(declaredBoundary.slice(0, 12))}, closing ${closing}, eol ${JSON.stringify(eol)})`,
        method: 'POST',
        path: route,
        headers: { 'content-type': `${mediaType}; boundary=${declaredBoundary}` },
        body,
      };
    });
}

/** Nested arrays/objects up to a few hundred levels deep. */
const deeplyNested = fc.tuple(fc.nat({ max: 400 }), fc.boolean()).map(([depth, arrays]) => JSON.parse(arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown);

/** Any JSON value a field might get instead of the right one, short of nesting too deep to be read. */
export const shallowHostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileText,
  fc.array(hostileText, { maxLength: 3 }),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 0.1, 4.0001, 0.2499, Number.MAX_SAFE_INTEGER),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown),
);

/** Any JSON value a field might get instead of the right one. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileText,
  fc.array(hostileText, { maxLength: 3 }),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 0.1, 4.0001, 0.2499, Number.MAX_SAFE_INTEGER),
  deeplyNested,
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown),
);

export const either = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: hostileValue });

/**
 * How a JSON body reaches the server: a proper object `properWeight` times as often as each of the alternatives
 * (cut short, wrapped in an array, a bare scalar; a wrong content type or charset), and without hostile extra keys
 * `properWeight` times as often as a quarter of the time.
 */
export function jsonFramingArbitrary(properWeight: number) {
  const extra = fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'), fc.string({ maxLength: 10 })), hostileValue, { maxKeys: 3 });
  return fc.record({
    extra: fc.oneof({ weight: properWeight, arbitrary: fc.constant({}) }, { weight: 4, arbitrary: extra }),
    framing: fc.oneof({ weight: properWeight, arbitrary: fc.constant('object') }, { weight: 1, arbitrary: fc.constantFrom('truncated', 'array', 'scalar') }),
    contentType: fc.oneof(
      { weight: properWeight, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
      { weight: 1, arbitrary: fc.constantFrom('application/json; charset=latin-9', 'text/plain', 'application/x-www-form-urlencoded') },
    ),
  });
}

export const jsonFraming = jsonFramingArbitrary(4);

export type JsonFraming = typeof jsonFraming extends fc.Arbitrary<infer F> ? F : never;

/** A POST of `fields` (plus hostile extra keys) as JSON, framed as `framing` says. */
export function jsonRequest(path: string, fields: Record<string, unknown>, { extra, framing, contentType }: JsonFraming): FuzzRequest {
  // Object.assign onto a plain object would treat `__proto__` as the prototype: build the text instead.
  const members = [...Object.entries(fields), ...Object.entries(extra)].map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`);
  const object = `{${members.join(',')}}`;
  const scalar = JSON.stringify(Object.values(fields)[0] ?? 1) ?? '1';
  const text = framing === 'truncated' ? object.slice(0, Math.floor(object.length / 2)) : framing === 'array' ? `[${object}]` : framing === 'scalar' ? scalar : object;
  return { route: `POST ${path}`, label: `JSON (${framing}, ${contentType}): ${text.slice(0, 160)}`, method: 'POST', path, headers: { 'content-type': contentType }, body: Buffer.from(text) };
}

const SPEECH_FIELDS = {
  model: fc.constantFrom('tts-1', 'espeak', 'tts-1-hd', 'whisper-1', 'no-such-model'),
  input: fc.string({ minLength: 1, maxLength: 40 }),
  voice: fc.oneof(fc.constantFrom('alloy', 'nova', 'echo', 'no-such-voice'), fc.constantFrom('alloy', 'voice_x').map((id) => ({ id }))),
  response_format: fc.constantFrom('mp3', 'opus', 'aac', 'flac', 'wav', 'pcm', 'ogg'),
  speed: fc.double({ min: 0.25, max: 4, noNaN: true }),
  stream_format: fc.constantFrom('audio', 'sse'),
  instructions: fc.string({ maxLength: 40 }),
};

/**
 * POST /v1/audio/speech with each field right or hostile, extra keys (`__proto__` among them), any content type;
 * and a quarter of plausible requests (right types, values a client easily gets wrong), which reach the synthesizer.
 */
export const speechJsonArbitrary: fc.Arbitrary<FuzzRequest> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.record(Object.fromEntries(Object.entries(SPEECH_FIELDS).map(([key, valid]) => [key, either<unknown>(valid)])), { requiredKeys: [] }), jsonFraming)
      .map(([fields, framing]) => jsonRequest('/v1/audio/speech', fields, framing)),
  },
  {
    weight: 1,
    arbitrary: fc
      .record(SPEECH_FIELDS, { requiredKeys: ['model', 'input', 'voice'] })
      .map((fields) => jsonRequest('/v1/audio/speech', fields, { extra: {}, framing: 'object', contentType: 'application/json' })),
  },
);

/** Percent-encodes every byte of the UTF-8 text (encodeURIComponent throws on lone surrogates). */
export function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** Model and voice lookups with any id, and every route with the wrong method. */
const LOOKUPS = 'lookups (GET models and voices, wrong methods)';

export const lookupArbitrary: fc.Arbitrary<FuzzRequest> = fc.oneof(
  hostileText.map((id) => ({ route: LOOKUPS, label: `GET model ${JSON.stringify(id.slice(0, 40))}`, method: 'GET', path: `/v1/models/${percentEncode(id)}`, headers: {} })),
  fc.constantFrom('%', '%ZZ', '%C0%AE', '..%2F..%2Fetc%2Fpasswd', '%00').map((raw) => ({ route: LOOKUPS, label: `GET model raw ${raw}`, method: 'GET', path: `/v1/models/${raw}`, headers: {} })),
  fc.tuple(fc.constantFrom('model', 'model[]', 'model[a]', '__proto__', 'constructor'), hostileText).map(([key, value]) => ({
    route: LOOKUPS,
    label: `GET voices ${key}=${JSON.stringify(value.slice(0, 40))}`,
    method: 'GET',
    path: `/v1/audio/voices?${key}=${percentEncode(value)}&${key}=${percentEncode(value)}`,
    headers: {},
  })),
  fc.tuple(fc.constantFrom('PUT', 'DELETE', 'PATCH', 'GET'), fc.constantFrom('/v1/audio/speech', '/v1/audio/transcriptions', '/v1/audio/translations', '/v1/models')).map(([method, path]) => ({
    route: LOOKUPS,
    label: `${method} ${path}`,
    method,
    path,
    headers: {},
  })),
);
