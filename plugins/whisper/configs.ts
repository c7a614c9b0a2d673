/**
 * Typed reading of the three JSON configs of a Hugging Face Whisper export (contract A4). Only the keys the plugin
 * uses are typed; missing optional keys get the defaults transformers.js and openai-whisper use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface WhisperModelConfig {
  model_type: string;
  d_model: number;
  decoder_layers: number;
  decoder_attention_heads: number;
  encoder_layers: number;
  num_mel_bins: number;
  max_source_positions: number;
  max_target_positions: number;
  vocab_size: number;
  median_filter_width: number;
  _name_or_path?: string;
}

export interface WhisperGenerationConfig {
  decoder_start_token_id: number;
  eos_token_id: number;
  no_timestamps_token_id: number;
  is_multilingual: boolean;
  lang_to_id: Record<string, number>;
  task_to_id: Record<string, number>;
  suppress_tokens: number[];
  begin_suppress_tokens: number[];
  max_length: number;
  max_initial_timestamp_index: number | null;
  /** (layer, head) pairs whose cross-attention follows the audio. */
  alignment_heads: Array<[number, number]>;
  prev_sot_token_id?: number;
}

export interface WhisperPreprocessorConfig {
  feature_size: number;
  sampling_rate: number;
  n_fft: number;
  hop_length: number;
  chunk_length: number;
  n_samples: number;
  nb_max_frames: number;
}

export interface WhisperConfigs {
  model: WhisperModelConfig;
  generation: WhisperGenerationConfig;
  preprocessor: WhisperPreprocessorConfig;
}

type Json = Record<string, unknown>;

function num(json: Json, key: string, fallback?: number): number {
  const value = json[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (fallback !== undefined) return fallback;
  throw new Error(`Whisper config: '${key}' is missing or not a number.`);
}

function numbers(json: Json, key: string): number[] {
  const value = json[key];
  return Array.isArray(value) ? value.filter((item): item is number => typeof item === 'number') : [];
}

function idMap(json: Json, key: string): Record<string, number> {
  const value = json[key];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value as Json).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}

export function parseModelConfig(json: Json): WhisperModelConfig {
  return {
    model_type: String(json.model_type ?? ''),
    d_model: num(json, 'd_model'),
    decoder_layers: num(json, 'decoder_layers'),
    decoder_attention_heads: num(json, 'decoder_attention_heads'),
    encoder_layers: num(json, 'encoder_layers', 0),
    num_mel_bins: num(json, 'num_mel_bins', 80),
    max_source_positions: num(json, 'max_source_positions', 1500),
    max_target_positions: num(json, 'max_target_positions', 448),
    vocab_size: num(json, 'vocab_size'),
    median_filter_width: num(json, 'median_filter_width', 7),
    _name_or_path: typeof json._name_or_path === 'string' ? json._name_or_path : undefined,
  };
}

export function parseGenerationConfig(json: Json): WhisperGenerationConfig {
  const langToId = idMap(json, 'lang_to_id');
  const heads = Array.isArray(json.alignment_heads) ? (json.alignment_heads as unknown[]) : [];
  return {
    decoder_start_token_id: num(json, 'decoder_start_token_id'),
    eos_token_id: num(json, 'eos_token_id'),
    no_timestamps_token_id: num(json, 'no_timestamps_token_id'),
    is_multilingual: typeof json.is_multilingual === 'boolean' ? json.is_multilingual : Object.keys(langToId).length > 0,
    lang_to_id: langToId,
    task_to_id: idMap(json, 'task_to_id'),
    suppress_tokens: numbers(json, 'suppress_tokens'),
    begin_suppress_tokens: numbers(json, 'begin_suppress_tokens'),
    max_length: num(json, 'max_length', 448),
    // openai-whisper's default: the first timestamp may be at most 1.0 s into the window.
    max_initial_timestamp_index: json.max_initial_timestamp_index === null ? null : num(json, 'max_initial_timestamp_index', 50),
    alignment_heads: heads
      .filter((pair): pair is [number, number] => Array.isArray(pair) && pair.length === 2 && pair.every((v) => typeof v === 'number'))
      .map(([layer, head]) => [layer, head]),
    prev_sot_token_id: typeof json.prev_sot_token_id === 'number' ? json.prev_sot_token_id : undefined,
  };
}

export function parsePreprocessorConfig(json: Json, numMelBins: number): WhisperPreprocessorConfig {
  return {
    feature_size: num(json, 'feature_size', numMelBins),
    sampling_rate: num(json, 'sampling_rate', 16000),
    n_fft: num(json, 'n_fft', 400),
    hop_length: num(json, 'hop_length', 160),
    chunk_length: num(json, 'chunk_length', 30),
    n_samples: num(json, 'n_samples', 480000),
    nb_max_frames: num(json, 'nb_max_frames', 3000),
  };
}

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await readFile(path, 'utf8')) as Json;
}

export async function readWhisperConfigs(modelDir: string): Promise<WhisperConfigs> {
  const model = parseModelConfig(await readJson(join(modelDir, 'config.json')));
  const generation = parseGenerationConfig(await readJson(join(modelDir, 'generation_config.json')));
  const preprocessorPath = join(modelDir, 'preprocessor_config.json');
  const preprocessor = parsePreprocessorConfig(existsSync(preprocessorPath) ? await readJson(preprocessorPath) : {}, model.num_mel_bins);
  return { model, generation, preprocessor };
}

/** For describe(): config.json of a folder when it declares a Whisper model, else undefined. Never throws. */
export function peekWhisperConfig(modelDir: string): Json | undefined {
  try {
    const json = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Json;
    return json.model_type === 'whisper' ? json : undefined;
  } catch {
    return undefined;
  }
}
