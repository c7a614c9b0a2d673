/**
 * Every setting the server reads from the environment: name, default, meaning and parser.
 * `.env.example` and the README's configuration table list the same names; a test keeps them in step.
 */
import * as path from 'node:path';
import { parseDevices } from '../engine/devices';

/** The repository (or image) root: dist/src/config → ../../.. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

type Parser<T> = (raw: string) => T;

export interface Setting<T> {
  default: string;
  description: string;
  parse: Parser<T>;
  /** Another variable read when this one is unset (e.g. POLLI_TOKEN, the name the original service used). */
  fallback?: string;
}

function setting<T>(defaultValue: string, description: string, parse: Parser<T>, fallback?: string): Setting<T> {
  return { default: defaultValue, description, parse, fallback };
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
  MAX_QUEUE: setting('32', 'Requests that may wait per device when every worker is busy; beyond it 429 (503 while the model loads) with Retry-After.', integer(0)),
  REQUEST_TIMEOUT_MS: setting('300000', 'A model request (queue wait included) running longer is stopped and answered 504.', integer(100)),
  SHUTDOWN_GRACE_MS: setting('30000', 'On SIGTERM: new requests get 503 while in-flight ones get this long to finish.', integer(0)),
  MODEL_TTL_S: setting('900', 'Seconds an idle model stays loaded in a worker; -1 never unloads, 0 unloads after each use. Preloaded models stay.', integer(-1)),
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
  UPSTREAM_LLM_API_KEY: setting('', 'Bearer token for the upstream chat API; POLLI_TOKEN is read when this is unset.', (raw) => raw, 'POLLI_TOKEN'),
  UPSTREAM_LLM_TIMEOUT_MS: setting('60000', 'An upstream chat call (streamed reply included) running longer is stopped and answered 504.', integer(100)),
  SPEECH_MODEL_FOR_CHAT: setting('tts-1', 'Speech model (or alias) that speaks chat-completion and /generate replies.', (raw) => raw),
  TRANSCRIPTION_MODEL_FOR_CHAT: setting('whisper-1', 'Speech-to-text model (or alias) that transcribes input_audio parts and /generate speech_audio.', (raw) => raw),
} satisfies Record<string, Setting<unknown>>;

export type EnvSchema = typeof ENV_SCHEMA;
export type AppConfig = { [K in keyof EnvSchema]: ReturnType<EnvSchema[K]['parse']> };
