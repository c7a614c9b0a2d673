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
}

function setting<T>(defaultValue: string, description: string, parse: Parser<T>): Setting<T> {
  return { default: defaultValue, description, parse };
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
  JSON_BODY_LIMIT: setting('1mb', 'Largest accepted JSON body (e.g. 1mb). Larger → 413.', (raw) => raw),
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
  METRICS_ENABLED: setting('true', 'Serve Prometheus metrics at /metrics.', boolean),
  DOCS_ENABLED: setting('true', 'Serve Swagger UI at /docs and the spec at /openapi.json.', boolean),
} satisfies Record<string, Setting<unknown>>;

export type EnvSchema = typeof ENV_SCHEMA;
export type AppConfig = { [K in keyof EnvSchema]: ReturnType<EnvSchema[K]['parse']> };
