/**
 * Whisper speech-to-text on onnxruntime-node, from Hugging Face ONNX exports (onnx-community / Xenova layout):
 * `MODELS_DIR/<id>/` with config.json, generation_config.json, preprocessor_config.json, tokenizer.json and
 * `onnx/encoder_model{suffix}.onnx` + `onnx/decoder_model_merged{suffix}.onnx`. The folder name is the model id.
 *
 * Settings (read from the environment inside the plugin):
 * - WHISPER_DTYPE (auto): fp32 | fp16 | q8 | int8 | uint8 | q4 | q4f16 | auto. Which export files to load
 *   (suffix none, _fp16, _quantized, _int8, _uint8, _q4, _q4f16); auto takes the first present in that order.
 * - WHISPER_TEMPERATURE_FALLBACK (true): retry a window at higher temperatures when it looks like a hallucination
 *   (openai-whisper's behaviour); false = a single pass at the request's temperature.
 * - WHISPER_COMPRESSION_RATIO_THRESHOLD (2.4): gzip ratio of a window's text above which it is retried.
 * - WHISPER_LOGPROB_THRESHOLD (-1.0): average token log-probability below which a window is retried.
 * - WHISPER_NO_SPEECH_THRESHOLD (0.6): `<|nospeech|>` probability above which an unsure window counts as silence.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type ModelInfo, type PluginContext, type PluginManifest, type Task } from '../sdk';
import { parseGenerationConfig, parseModelConfig, peekWhisperConfig, readWhisperConfigs } from './configs';
import { fallbackSettingsFromEnv } from './fallback';
import { findModelFiles, parseDtype, type WhisperModelFiles } from './model-files';
import { WhisperDecoder, WhisperEncoder } from './sessions';
import { WhisperTokenizer } from './tokenizer';
import { WhisperTranscriber } from './transcriber';
import { wordTimestampsHint } from './word-timestamps';
import { readFileSync } from 'node:fs';

/** Bytes read from the end of a decoder graph to find its output names (they follow the weights in the file). */
const OUTPUT_NAMES_TAIL_BYTES = 8 * 1024 * 1024;

/**
 * Whether the decoder graph has `cross_attentions.*` outputs, without loading it: graph outputs are serialized after
 * the initializers, so they are near the end of the file (and the whole file when the weights are in a sidecar).
 */
export async function decoderHasCrossAttentions(decoderPath: string): Promise<boolean> {
  const { size } = await stat(decoderPath);
  const length = Math.min(size, OUTPUT_NAMES_TAIL_BYTES);
  const handle = await open(decoderPath, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.includes('cross_attentions.0');
  } finally {
    await handle.close();
  }
}

interface FoundModel {
  info: ModelInfo;
  /** Bigger = more capable; picks the model `whisper-1` points at. */
  rank: number;
}

function isTurbo(id: string, config: Record<string, unknown>): boolean {
  const name = `${id} ${String(config._name_or_path ?? '')}`.toLowerCase();
  return name.includes('turbo');
}

async function describeModel(modelsDir: string, id: string, dtype: ReturnType<typeof parseDtype>): Promise<FoundModel | undefined> {
  const dir = join(modelsDir, id);
  const configJson = peekWhisperConfig(dir);
  if (!configJson) return undefined;
  const files = findModelFiles(dir, dtype);
  if (!files) return undefined;
  try {
    const config = parseModelConfig(configJson);
    const generation = parseGenerationConfig(JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as Record<string, unknown>);
    const tasks: Task[] = ['transcription'];
    // large-v3-turbo was not trained to translate.
    if (generation.is_multilingual && !isTurbo(id, configJson)) tasks.push('translation');
    const languages = generation.is_multilingual
      ? Object.keys(generation.lang_to_id).map((token) => token.replace(/^<\|/, '').replace(/\|>$/, ''))
      : ['en'];
    const wordTimestamps = id.includes('_timestamped') || (await decoderHasCrossAttentions(files.decoder));
    return {
      info: {
        id,
        tasks,
        ownedBy: 'openai',
        languages,
        capabilities: { streaming: true, wordTimestamps },
        ...(wordTimestamps ? {} : { capabilityHints: { wordTimestamps: wordTimestampsHint(id) } }),
      },
      rank: config.d_model * (config.encoder_layers + config.decoder_layers),
    };
  } catch {
    return undefined;
  }
}

async function describe(context: Pick<PluginContext, 'modelsDir' | 'log'>): Promise<PluginManifest> {
  const dtype = parseDtype(process.env.WHISPER_DTYPE);
  let entries: string[];
  try {
    entries = (await readdir(context.modelsDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return { models: [] };
  }
  const found: FoundModel[] = [];
  for (const id of entries.sort()) {
    const model = await describeModel(context.modelsDir, id, dtype);
    if (model) found.push(model);
    else if (peekWhisperConfig(join(context.modelsDir, id))) context.log.warn('Whisper model folder without usable ONNX files for WHISPER_DTYPE', { model: id, dtype });
  }
  const best = [...found].sort((a, b) => b.rank - a.rank)[0];
  return { models: found.map(({ info }) => info), aliases: best ? { 'whisper-1': best.info.id } : {} };
}

function logContract(context: PluginContext, name: string, session: WhisperEncoder['session']): void {
  context.log.debug(`Whisper ${name} session`, {
    inputs: session.inputMetadata.map((meta) => (meta.isTensor ? `${meta.name}:${meta.type}[${meta.shape.join(',')}]` : meta.name)),
    outputs: session.outputNames,
  });
}

async function create(context: PluginContext, model: ModelInfo) {
  const dir = join(context.modelsDir, model.id);
  const files: WhisperModelFiles | undefined = findModelFiles(dir, parseDtype(process.env.WHISPER_DTYPE));
  if (!files) throw new Error(`Whisper model '${model.id}': no encoder/decoder ONNX files for WHISPER_DTYPE in ${dir}/onnx`);
  const configs = await readWhisperConfigs(dir);
  const tokenizer = await WhisperTokenizer.fromFile(join(dir, 'tokenizer.json'));
  const started = Date.now();
  // From the file path, so onnxruntime finds `.onnx_data` sidecars next to each graph.
  const encoderSession = await context.createSession(files.encoder);
  const decoderSession = await context.createSession(files.decoder);
  logContract(context, 'encoder', encoderSession);
  logContract(context, 'decoder', decoderSession);
  const heads = configs.model.decoder_attention_heads;
  const decoder = new WhisperDecoder(decoderSession, { heads, headDim: configs.model.d_model / heads });
  const transcriber = new WhisperTranscriber({
    modelId: model.id,
    configs,
    tokenizer,
    encoder: new WhisperEncoder(encoderSession),
    decoder,
    fallback: fallbackSettingsFromEnv(),
  });
  context.log.info('Whisper model loaded', { model: model.id, dtype: files.dtype, kv: decoder.kvType, crossAttentions: decoder.hasCrossAttentions, ms: Date.now() - started });
  return {
    transcription: transcriber,
    async dispose() {
      await encoderSession.release();
      await decoderSession.release();
    },
  };
}

export default definePlugin({ id: 'whisper', describe, create });
