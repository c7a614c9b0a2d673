/**
 * Drives the Whisper plugin directly (no engine threads): a CPU plugin context whose sessions are real
 * onnxruntime-node sessions, fixture model folders written by W1's generator, and request helpers.
 */
import '../../fixtures/onnx/cross-realm-typed-arrays';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelInfo, PluginContext, PluginInstance, TranscriptionRequest, TranscriptionResult } from '../../../plugins/sdk';
import whisperPlugin from '../../../plugins/whisper/plugin';
import { WhisperTokenizer } from '../../../plugins/whisper/tokenizer';
import { WHISPER_TEST_DIMS, writeWhisperFixture, type WhisperFixtureOptions } from '../../fixtures/whisper/generate-whisper';
import { buildWhisperTokenizerJson } from '../../fixtures/whisper/tokenizer-fixture';
import { observedPluginContext, silentLog } from '../../utils/plugin-context';

export { silentLog } from '../../utils/plugin-context';

/** Every `input_ids` the decoder was run with, in order (what the model really saw). */
export interface DecoderCalls {
  inputIds: number[][];
}

export function pluginContext(modelsDir: string, calls?: DecoderCalls, onDecoderRun?: () => void): PluginContext {
  if (!calls && !onDecoderRun) return observedPluginContext(modelsDir);
  return observedPluginContext(modelsDir, (session, feeds) => {
    if (!session.inputNames.includes('input_ids')) return;
    calls?.inputIds.push(Array.from(feeds.input_ids.data as BigInt64Array, Number));
    onDecoderRun?.();
  });
}

/** A temp MODELS_DIR that tests fill with fixture folders. */
export class FixtureRoot {
  dir = '';

  async open(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'whisper-plugin-'));
  }

  async close(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  async write(id: string, options: Partial<WhisperFixtureOptions> = {}): Promise<string> {
    await writeWhisperFixture(join(this.dir, id), { ...WHISPER_TEST_DIMS, vocab: 'multilingual', seed: 7, ...options });
    return id;
  }
}

export async function describeModel(modelsDir: string, id: string): Promise<ModelInfo> {
  const manifest = await whisperPlugin.describe({ modelsDir, log: silentLog });
  const info = manifest.models.find((model) => model.id === id);
  if (!info) throw new Error(`describe() did not list ${id}`);
  return info;
}

export async function loadModel(modelsDir: string, id: string, calls?: DecoderCalls, onDecoderRun?: () => void): Promise<PluginInstance> {
  return whisperPlugin.create(pluginContext(modelsDir, calls, onDecoderRun), await describeModel(modelsDir, id));
}

/** The fixture vocabulary's tokenizer (the same tokenizer.json the fixture folders hold). */
export function fixtureTokenizer(vocab: WhisperFixtureOptions['vocab'] = 'multilingual'): WhisperTokenizer {
  return WhisperTokenizer.fromJson(buildWhisperTokenizerJson(vocab));
}

/** Deterministic noise-like audio (the random-weight fixture's output does not depend on it being speech). */
export function audio(seconds: number, seed = 1): Float32Array {
  const samples = new Float32Array(Math.round(seconds * 16000));
  let state = seed;
  for (let i = 0; i < samples.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    samples[i] = 0.3 * Math.sin(i * 0.05) + 0.1 * (state / 0x7fffffff - 0.5);
  }
  return samples;
}

export function request(samples: Float32Array, overrides: Partial<TranscriptionRequest> = {}): TranscriptionRequest {
  return { model: 'm', task: 'transcribe', audio: samples, language: 'en', temperature: 0, timestamps: { segment: false, word: false }, ...overrides };
}

export async function transcribe(instance: PluginInstance, req: TranscriptionRequest, signal = new AbortController().signal): Promise<{ result: TranscriptionResult; deltas: string[] }> {
  const deltas: string[] = [];
  const result = await instance.transcription!.transcribe(req, signal, { onText: (delta) => deltas.push(delta) });
  return { result, deltas };
}
