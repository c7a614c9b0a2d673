/**
 * Chatterbox text-to-speech with zero-shot voice cloning on onnxruntime-node, from the public ONNX exports:
 * ResembleAI/chatterbox-turbo-ONNX, onnx-community/chatterbox-ONNX and chatterbox-multilingual-ONNX, installed as
 * `MODELS_DIR/<id>/` (Hugging Face layout: tokenizer.json, `onnx/{speech_encoder,embed_tokens,language_model,
 * conditional_decoder}{suffix}.onnx` + `.onnx_data`). The folder name is the model id. Which loop to run (Turbo or
 * original) is read from the graphs' inputs, not from the folder name.
 *
 * Settings (read from the environment inside the plugin):
 * - CHATTERBOX_DTYPE (auto): fp32 | fp16 | q8 | int8 | uint8 | q4 | q4f16 | auto; per graph, falling back to what
 *   the export ships (onnx-community quantizes only language_model).
 * - CHATTERBOX_MAX_NEW_TOKENS (1000): speech tokens per sentence chunk before giving up on STOP (40 s of audio).
 * - CHATTERBOX_VOICE_CACHE (16): built-in voices (encoded reference clips) kept per worker.
 * - CHATTERBOX_STREAM_WINDOW_TOKENS (100): within a long sentence, speech tokens decoded per window (4 s); the first
 *   window is half as long, so the first audio of a long sentence leaves after 2 s of speech is generated.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type DescribeContext, type ModelInfo, type PluginContext, type PluginInstance, type PluginManifest } from '../sdk';
import { findChatterboxFiles, parseChatterboxDtype } from './model-files';
import { ConditionalDecoder, LanguageModel, SpeechEncoder, TokenEmbedder } from './sessions';
import { ChatterboxSynthesizer } from './synthesizer';
import { ChatterboxTokenizer } from './tokenizer';
import { DEFAULT_WINDOWS, type WindowSettings } from './vocoder';
import { BuiltInVoices, voiceInfos } from './voices';

/**
 * KV heads × head size, used only where the graph leaves those axes symbolic: from config.json's text_config when
 * the export has one (the multilingual repo has none), else both public backbones' 16 × 64.
 */
function kvDims(dir: string): { heads: number; headDim: number } {
  try {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { text_config?: Record<string, unknown> };
    const text = config.text_config ?? {};
    const heads = Number(text.num_key_value_heads ?? text.n_head ?? text.num_attention_heads);
    const headDim = Number(text.head_dim ?? Number(text.hidden_size ?? text.n_embd) / heads);
    if (Number.isInteger(heads) && heads > 0) return { heads, headDim: Number.isInteger(headDim) && headDim > 0 ? headDim : 64 };
  } catch {
    // No (readable) config.json: the public defaults.
  }
  return { heads: 16, headDim: 64 };
}

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer; got '${raw}'.`);
  return value;
}

function windowSettings(windowTokens: number): WindowSettings {
  return { ...DEFAULT_WINDOWS, windowTokens, firstWindowTokens: Math.max(1, Math.ceil(windowTokens / 2)), overlapTokens: Math.min(DEFAULT_WINDOWS.overlapTokens, windowTokens) };
}

interface TokenizerPeek {
  turbo: boolean;
  languages: string[];
}

/** What tokenizer.json says without building the tokenizer: GPT-2 vocabulary (Turbo) and `[xx]` language tokens. */
function peekTokenizer(dir: string): TokenizerPeek | undefined {
  try {
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens?: Array<{ content: string }> };
    const added = (json.added_tokens ?? []).map((token) => token.content);
    const languages = added.map((content) => /^\[([a-z]{2})\]$/.exec(content)?.[1]).filter((code): code is string => code !== undefined);
    return { turbo: added.includes('<|endoftext|>'), languages };
  } catch {
    return undefined;
  }
}

async function describe(context: DescribeContext): Promise<PluginManifest> {
  const dtype = parseChatterboxDtype(process.env.CHATTERBOX_DTYPE);
  let entries: string[];
  try {
    entries = (await readdir(context.modelsDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return { models: [] };
  }
  const found: Array<{ info: ModelInfo; turbo: boolean; voicesReady: boolean }> = [];
  for (const id of entries.sort()) {
    const dir = join(context.modelsDir, id);
    if (!findChatterboxFiles(dir, dtype)) continue;
    const peek = peekTokenizer(dir);
    if (!peek) {
      context.log.warn('Chatterbox model folder with an unreadable tokenizer.json', { model: id });
      continue;
    }
    const languages = peek.languages.length > 0 ? peek.languages : ['en'];
    const voices = voiceInfos(dir, languages);
    found.push({
      info: { id, tasks: ['speech'], ownedBy: 'resemble-ai', languages, voices, capabilities: { streaming: true, voiceCloning: true } },
      turbo: peek.turbo,
      voicesReady: builtInVoicesReady(dir),
    });
  }
  // The service this server replaces ran Chatterbox Turbo: prefer it for the OpenAI names.
  const best = [...found].sort((a, b) => Number(b.turbo) - Number(a.turbo))[0];
  const aliases: Record<string, string> = {};
  if (best) {
    aliases['tts-1-hd'] = best.info.id;
    // tts-1 / gpt-4o-mini-tts with `alloy` must just work: only when the built-in names have reference clips.
    if (best.voicesReady) {
      aliases['tts-1'] = best.info.id;
      aliases['gpt-4o-mini-tts'] = best.info.id;
    }
  }
  return { models: found.map(({ info }) => info), aliases };
}

/** Whether built-in voice names can speak without a cloned voice: a default clip, or clips in `voices/`. */
function builtInVoicesReady(dir: string): boolean {
  if (existsSync(join(dir, 'default_voice.wav'))) return true;
  try {
    return readdirSync(join(dir, 'voices')).some((file) => /\.wav$/i.test(file));
  } catch {
    return false;
  }
}

async function create(context: PluginContext, model: ModelInfo): Promise<PluginInstance> {
  const dir = join(context.modelsDir, model.id);
  const files = findChatterboxFiles(dir, parseChatterboxDtype(process.env.CHATTERBOX_DTYPE));
  if (!files) throw new Error(`Chatterbox model '${model.id}': tokenizer.json or one of the four ONNX graphs is missing in ${dir}`);
  const started = Date.now();
  const tokenizer = await ChatterboxTokenizer.fromFile(join(dir, 'tokenizer.json'));
  const sessions = {
    encoder: await context.createSession(files.speech_encoder.path),
    embedder: await context.createSession(files.embed_tokens.path),
    lm: await context.createSession(files.language_model.path),
    decoder: await context.createSession(files.conditional_decoder.path),
  };
  for (const [name, session] of Object.entries(sessions)) {
    context.log.debug(`Chatterbox ${name} session`, {
      inputs: session.inputMetadata.map((meta) => (meta.isTensor ? `${meta.name}:${meta.type}[${meta.shape.join(',')}]` : meta.name)),
      outputs: session.outputNames,
    });
  }
  const encoder = new SpeechEncoder(sessions.encoder);
  const embedder = new TokenEmbedder(sessions.embedder);
  const lm = new LanguageModel(sessions.lm, kvDims(dir));
  const synthesizer = new ChatterboxSynthesizer({
    tokenizer,
    encoder,
    embedder,
    lm,
    decoder: new ConditionalDecoder(sessions.decoder),
    voices: new BuiltInVoices(dir, encoder, positiveInteger('CHATTERBOX_VOICE_CACHE', 16)),
    languages: embedder.variant === 'original' ? tokenizer.languages : [],
    maxNewTokens: positiveInteger('CHATTERBOX_MAX_NEW_TOKENS', 1000),
    windows: windowSettings(positiveInteger('CHATTERBOX_STREAM_WINDOW_TOKENS', DEFAULT_WINDOWS.windowTokens)),
    log: context.log,
  });
  context.log.info('Chatterbox model loaded', {
    model: model.id,
    variant: embedder.variant,
    multilingual: tokenizer.languages.length > 0,
    dtypes: Object.fromEntries(Object.entries(files).map(([graph, file]) => [graph, file.dtype])),
    kv: lm.kvType,
    layers: lm.layers,
    ms: Date.now() - started,
  });
  return {
    speech: synthesizer,
    voiceCloning: synthesizer,
    async dispose() {
      for (const session of Object.values(sessions)) await session.release();
    },
  };
}

export default definePlugin({ id: 'chatterbox', describe, create });
