/**
 * Every setting the server reads from the environment: name, default, meaning and parser.
 * `.env.example` and the README's configuration table list the same names; a test keeps them in step.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseDevices } from '../engine/devices';
import { parseRateLimit } from '../security/rate-limit.policy';

/** The repository (or image) root: dist/src/config → ../../.. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

type Parser<T> = (raw: string) => T;

export interface Setting<T> {
  default: string;
  description: string;
  parse: Parser<T>;
  /** Another variable read when this one is unset (e.g. POLLI_TOKEN, the name the original service used). */
  fallback?: string;
  /** A secret (API keys, a Redis URL with a password): its value never appears in an error message or a log. */
  secret?: boolean;
}

function setting<T>(defaultValue: string, description: string, parse: Parser<T>, fallback?: string): Setting<T> {
  return { default: defaultValue, description, parse, fallback };
}

function secretSetting<T>(defaultValue: string, description: string, parse: Parser<T>, fallback?: string): Setting<T> {
  return { ...setting(defaultValue, description, parse, fallback), secret: true };
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`expected an integer between ${min} and ${max}`);
    }
    return value;
  };
}

function positiveNumber(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error('expected a positive number');
  return value;
}

function numberBetween(min: number, max: number): Parser<number> {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) throw new Error(`expected a number between ${min} and ${max}`);
    return value;
  };
}

function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (raw) => {
    if (!(values as string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}`);
    return raw as T;
  };
}

function boolean(raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error('expected true or false');
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** `whisper-1=whisper-large-v3-turbo,tts-1=espeak` → map. */
function aliasMap(raw: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const pair of list(raw)) {
    const [alias, target, ...rest] = pair.split('=').map((part) => part.trim());
    if (!alias || !target || rest.length > 0) throw new Error(`expected alias=model pairs, got '${pair}'`);
    aliases[alias] = target;
  }
  return aliases;
}

/** An http(s) URL without credentials (they would end up in logs and error messages). */
function httpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('expected an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http(s) URL');
  if (url.username || url.password) throw new Error('put the credentials in UPSTREAM_LLM_API_KEY, not in the URL');
  return raw;
}

function directory(raw: string): string {
  if (raw.length === 0) throw new Error('expected a path');
  return path.resolve(PROJECT_ROOT, raw);
}

/** A folder, or '' for a feature that is off unless one is named. */
function optionalDirectory(raw: string): string {
  return raw === '' ? '' : directory(raw);
}

/** `{"cuda":{"cudnn_conv_algo_search":"DEFAULT"},"cuda:1":{"gpu_mem_limit":8589934592}}` → per kind/device options. */
function providerOptions(raw: string): Record<string, Record<string, unknown>> {
  const parsed: unknown = JSON.parse(raw);
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(parsed) || !Object.values(parsed).every(isObject)) {
    throw new Error('expected a JSON object of objects, keyed by device kind or id (cpu, cuda, cuda:1)');
  }
  for (const key of Object.keys(parsed)) {
    if (!/^(cpu|cuda)(:\d+)?$/.test(key)) throw new Error(`'${key}' is not a device kind or id`);
  }
  return parsed as Record<string, Record<string, unknown>>;
}

/** `/healthz,/docs` → paths; each must start with `/`. */
function pathList(raw: string): string[] {
  const paths = list(raw);
  for (const entry of paths) if (!entry.startsWith('/')) throw new Error(`'${entry}' is not a path (it must start with /)`);
  return paths.map((entry) => (entry.length > 1 ? entry.replace(/\/+$/, '') : entry));
}

/**
 * A file of sha256 hex digests, one per line (blank lines and `#` comments allowed), read once at start. Only the
 * first word of a line counts, so `printf %s "$KEY" | sha256sum >> keys` (which appends `  -`) writes a valid line.
 */
function digestFile(raw: string): string[] {
  if (raw === '') return [];
  const file = path.resolve(PROJECT_ROOT, raw);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const digests: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const entry = line.replace(/#.*$/, '').trim().split(/\s+/)[0];
    if (entry === '') return;
    // The line itself is not echoed: a plain key pasted here by mistake must not reach the console.
    if (!/^[0-9a-fA-F]{64}$/.test(entry)) throw new Error(`line ${index + 1} of ${file} is not a sha256 hex digest (64 hex characters)`);
    digests.push(entry.toLowerCase());
  });
  if (digests.length === 0) throw new Error(`${file} holds no digest`);
  return digests;
}

/** `https://app.example,http://localhost:3000` → origins (scheme, host, optional port; no path), or `*`. */
function originList(raw: string): string[] {
  const origins = list(raw);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`'${origin}' is not an origin like https://app.example or http://localhost:3000`);
  }
  return origins;
}

/**
 * Which proxies may set X-Forwarded-For (Express's `trust proxy`): empty = none (the socket address is the client),
 * a hop count, or addresses/subnets (`loopback`, `uniquelocal`, `10.0.0.0/8`, …). `true` trusts any, which lets a
 * client pick its own address: only behind a proxy that overwrites the header.
 */
function trustProxy(raw: string): boolean | number | string[] {
  if (raw === '' || /^(false|no|off)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = list(raw);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const named = ['loopback', 'linklocal', 'uniquelocal'].includes(entry);
    if (!named && (rest.length > 0 || net.isIP(address) === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits)))) {
      throw new Error(`'${entry}' is not an address, a subnet, loopback, linklocal or uniquelocal`);
    }
  }
  return entries;
}

function redisUrl(raw: string): string {
  if (raw === '') return '';
  if (!/^rediss?:\/\//.test(raw)) throw new Error('expected redis://[user:password@]host[:port][/db] or rediss://…');
  return raw;
}

const MIB = 1024 * 1024;

export const ENV_SCHEMA = {
  HOST: setting('0.0.0.0', 'Address to listen on.', (raw) => raw),
  PORT: setting('8000', 'Port to listen on.', integer(0, 65535)),
  LOG_LEVEL: setting('info', 'Log level: error, warn, info, debug.', oneOf('error', 'warn', 'info', 'debug')),
  MODELS_DIR: setting('models', 'Folder holding model weights, one sub-folder per model (relative to the project root).', directory),
  PLUGIN_DIRS: setting(
    'dist/plugins',
    'Comma-separated folders searched for plugins; each sub-folder with a compiled plugin.js is one plugin.',
    (raw) => list(raw).map(directory),
  ),
  PLUGINS: setting('', 'Comma-separated npm package names of extra plugins.', list),
  ALIASES: setting(
    '',
    'Comma-separated alias=model pairs (e.g. whisper-1=whisper-large-v3-turbo). They override the aliases plugins propose (tts-1, tts-1-hd and gpt-4o-mini-tts go to espeak by default).',
    aliasMap,
  ),
  PRELOAD_MODELS: setting('tts-1', 'Comma-separated models (or aliases) loaded at start; /readyz answers 503 until they are.', list),
  MAX_UPLOAD_BYTES: setting(String(25 * MIB), 'Largest accepted upload, in bytes (OpenAI: 25 MiB). Larger → 413.', integer(1)),
  MAX_AUDIO_SECONDS: setting('90', 'Longest accepted audio after decoding, in seconds. Longer → 400.', positiveNumber),
  DECODE_TIMEOUT_MS: setting('30000', 'A decode of uploaded audio running longer than this is stopped (400).', integer(100)),
  DECODE_WORKERS: setting('2', 'Worker threads decoding uploaded audio (FFmpeg in WebAssembly).', integer(1, 64)),
  JSON_BODY_LIMIT: setting('8mb', 'Largest accepted JSON body (e.g. 8mb: room for 90 s of 24 kHz WAV in base64, as chat input_audio and /generate speech_audio). Larger → 413.', (raw) => raw),
  DEVICES: setting('cpu', 'Comma-separated compute devices, one worker pool each: cpu, cpu:N, cuda:N (e.g. cuda:0,cuda:1).', (raw) =>
    parseDevices(list(raw)),
  ),
  WORKERS_PER_DEVICE: setting('0', 'Inference worker threads per device; 0 = half the cores per CPU device, 2 per CUDA device.', integer(0, 256)),
  ORT_INTRA_OP_THREADS: setting('0', 'onnxruntime intra-op threads per CPU worker; 0 = the cores shared out between CPU workers.', integer(0, 1024)),
  ORT_GRAPH_OPTIMIZATION_LEVEL: setting('all', 'onnxruntime graph optimization: disabled, basic, extended, all.', oneOf('disabled', 'basic', 'extended', 'all')),
  ORT_PROVIDER_OPTIONS: setting(
    '{}',
    'JSON execution-provider options by device kind or id, e.g. {"cuda":{"cudnn_conv_algo_search":"DEFAULT","gpu_mem_limit":8589934592}}.',
    providerOptions,
  ),
  MAX_QUEUE: setting('32', 'Requests that may wait per device when every worker is busy, and uploads that may wait for a decoder thread; beyond it 429 (503 while the model loads) with Retry-After.', integer(0)),
  REQUEST_TIMEOUT_MS: setting('300000', 'A model request (queue wait included) running longer is stopped and answered 504.', integer(100)),
  SHUTDOWN_GRACE_MS: setting('30000', 'On SIGTERM: new requests get 503 while in-flight ones get this long to finish.', integer(0)),
  MODEL_TTL_S: setting('900', 'Seconds an idle model stays loaded in a worker; -1 never unloads, 0 unloads after each use. Preloaded models stay.', integer(-1)),
  MODEL_VERIFY_ON_LOAD: setting(
    'false',
    'Re-hash a pulled model\'s files (sha256, against its manifest) before its first load; a mismatch keeps it out of service (500 model_integrity). Costs about 0.8 s per 512 MiB hashed, once per model.',
    boolean,
  ),
  VOICES_DIR: setting('voices', 'Folder where cloned voices (POST /v1/audio/voices) are stored, one sub-folder each (relative to the project root).', directory),
  KEEP_VOICE_SAMPLES: setting('false', 'Keep the uploaded reference clip next to each cloned voice (by default only the computed conditioning is stored).', boolean),
  VOICE_MIN_SECONDS: setting('5', 'Shortest reference clip accepted for cloning, in seconds. Shorter → 400 audio_too_short.', positiveNumber),
  VOICE_MAX_SECONDS: setting('8', 'Reference clips longer than this are trimmed to it before cloning, in seconds.', positiveNumber),
  VOICE_MAX_BYTES: setting(String(10 * MIB), 'Largest accepted reference clip upload, in bytes (OpenAI: 10 MiB). Larger → 413.', integer(1)),
  VOICE_CACHE_SIZE: setting('32', 'Cloned voices kept in memory (least recently used beyond it are re-read from VOICES_DIR).', integer(1)),
  AUDIO_CACHE_DIR: setting(
    '',
    'Folder caching the audio of /v1/audio/speech for repeated identical requests (created mode 0700, files 0600). Empty = off: generated audio is never stored.',
    optionalDirectory,
  ),
  AUDIO_RETENTION_S: setting('3600', 'Seconds a cached audio entry is served and kept; older entries are never served and a sweeper deletes them.', integer(1)),
  AUDIO_CACHE_MAX_BYTES: setting(String(1024 * MIB), 'Cap on the audio cache\'s size in bytes; beyond it the oldest entries are deleted first. 0 = no cap.', integer(0)),
  METRICS_ENABLED: setting('true', 'Serve Prometheus metrics at /metrics.', boolean),
  DOCS_ENABLED: setting('true', 'Serve Swagger UI at /docs and the spec at /openapi.json.', boolean),
  // Read by the Whisper plugin in its workers; validated here so a typo stops the start instead of the first request.
  WHISPER_DTYPE: setting(
    'auto',
    'Which Whisper export files to load: fp32, fp16, q8, int8, uint8, q4, q4f16, or auto (the first present in that order, q4f16 before q4).',
    oneOf('auto', 'fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16'),
  ),
  WHISPER_TEMPERATURE_FALLBACK: setting(
    'true',
    'Whisper: decode a window again at higher temperatures when it looks like a hallucination (openai-whisper); false = one greedy pass.',
    boolean,
  ),
  WHISPER_COMPRESSION_RATIO_THRESHOLD: setting('2.4', 'Whisper: gzip compression ratio of a window\'s text above which it is decoded again.', numberBetween(0, 1000)),
  WHISPER_LOGPROB_THRESHOLD: setting('-1', 'Whisper: average token log-probability below which a window is decoded again.', numberBetween(-1000, 0)),
  WHISPER_NO_SPEECH_THRESHOLD: setting('0.6', 'Whisper: <|nospeech|> probability above which an unsure window counts as silence (no text).', numberBetween(0, 1)),
  UPSTREAM_LLM_URL: setting(
    'https://gen.pollinations.ai/v1/chat/completions',
    'OpenAI-compatible chat API that writes the replies of /v1/chat/completions and /generate (a base URL ending in /v1 works too).',
    httpUrl,
  ),
  UPSTREAM_LLM_MODEL: setting('openai', 'Model asked of the upstream chat API (Pollinations: openai, gemini-fast, …).', (raw) => raw),
  UPSTREAM_LLM_API_KEY: secretSetting('', 'Bearer token for the upstream chat API; POLLI_TOKEN is read when this is unset.', (raw) => raw, 'POLLI_TOKEN'),
  UPSTREAM_LLM_TIMEOUT_MS: setting('60000', 'An upstream chat call (streamed reply included) running longer is stopped and answered 504.', integer(100)),
  SPEECH_MODEL_FOR_CHAT: setting('tts-1', 'Speech model (or alias) that speaks chat-completion and /generate replies.', (raw) => raw),
  TRANSCRIPTION_MODEL_FOR_CHAT: setting('whisper-1', 'Speech-to-text model (or alias) that transcribes input_audio parts and /generate speech_audio.', (raw) => raw),
  API_KEYS: secretSetting('', 'Comma-separated API keys accepted as Authorization: Bearer <key>. With neither this nor API_KEYS_FILE set, the API is open to anyone (a warning is logged at start).', list),
  API_KEYS_FILE: setting('', 'File with one sha256 hex digest of an accepted API key per line (so plain keys need not sit on disk); adds to API_KEYS.', digestFile),
  PUBLIC_PATHS: setting(
    '/healthz,/readyz',
    'Comma-separated paths served without an API key; each also opens what lies under it (add /docs,/openapi.json to open the docs, /metrics for an unauthenticated scraper).',
    pathList,
  ),
  RATE_LIMIT_SPEECH: setting('60/1m', 'Requests to /v1/audio/speech, /v1/chat/completions and /generate together, per API key (per client IP when open): N/WINDOW with WINDOW in ms, s, m or h (e.g. 60/1m), or off.', parseRateLimit),
  RATE_LIMIT_TRANSCRIPTION: setting('60/1m', 'Requests to /v1/audio/transcriptions and /translations together, per key or IP: N/WINDOW, or off.', parseRateLimit),
  RATE_LIMIT_DEFAULT: setting('600/1m', 'Requests to every other API route (models, voices), per key or IP: N/WINDOW, or off. Health, readiness and metrics are never limited.', parseRateLimit),
  TRUST_PROXY: setting('', 'Proxies trusted to set X-Forwarded-For (the client IP for rate limits): empty = none, a hop count, or addresses/subnets (loopback, uniquelocal, 10.0.0.0/8).', trustProxy),
  CORS_ORIGINS: setting('', 'Comma-separated browser origins allowed to call the API (e.g. https://app.example), or * for any. Empty = no cross-origin access.', originList),
  HTTP_HEADERS_TIMEOUT_MS: setting('60000', 'A client must send its request headers within this time, else 408 and the connection is closed.', integer(100)),
  HTTP_REQUEST_TIMEOUT_MS: setting(
    '300000',
    'A client must send its whole request (upload included) within this time, else 408. 300 s lets a 25 MiB upload through at 0.7 Mbit/s.',
    integer(100),
  ),
  LOG_CONTENT: setting('false', 'Add request content (input text, prompts) to the request log lines, for debugging only. API keys and audio are never logged.', boolean),
  REDIS_URL: secretSetting('', 'redis://[user:password@]host:port[/db]: keep rate-limit counters in Redis so every replica shares them. Empty = in memory, per instance.', redisUrl),
} satisfies Record<string, Setting<unknown>>;

export type EnvSchema = typeof ENV_SCHEMA;
export type AppConfig = { [K in keyof EnvSchema]: ReturnType<EnvSchema[K]['parse']> };
