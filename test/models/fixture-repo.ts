/**
 * A Whisper-shaped repo with small generated files: configs in git, graphs and sidecars in LFS, every dtype's
 * graphs plus the decoder variants the server never loads, a README and .gitattributes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { whisperPullFiles } from '../../plugins/whisper/pull-files';
import { runModelsCli } from '../../src/models/cli';
import type { FixtureFile } from './fake-hub';

export const FIXTURE_REPO = 'test-org/whisper-fixture';

/** Deterministic bytes that do not compress or repeat, so a wrong offset shows up in the hash. */
export function generatedBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let block = 0, offset = 0; offset < size; block++, offset += 32) {
    createHash('sha256').update(`${seed}:${block}`).digest().copy(out, offset);
  }
  return out;
}

function json(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}

export function whisperFixtureFiles(): FixtureFile[] {
  const git = (filePath: string, content: Buffer): FixtureFile => ({ path: filePath, content, lfs: false });
  const lfs = (filePath: string, size: number): FixtureFile => ({ path: filePath, content: generatedBytes(filePath, size), lfs: true });
  return [
    git('.gitattributes', Buffer.from('*.onnx filter=lfs diff=lfs merge=lfs -text\n*.onnx_data filter=lfs diff=lfs merge=lfs -text\n')),
    git('README.md', Buffer.from('# whisper-fixture\n')),
    git('config.json', json({ model_type: 'whisper', d_model: 8 })),
    git('generation_config.json', json({ decoder_start_token_id: 50258 })),
    git('preprocessor_config.json', json({ feature_size: 80 })),
    git('tokenizer.json', Buffer.from(generatedBytes('tokenizer', 30_000).toString('hex'))),
    git('tokenizer_config.json', json({ model_max_length: 448 })),
    lfs('onnx/encoder_model.onnx', 20_000),
    lfs('onnx/encoder_model.onnx_data', 400_000),
    lfs('onnx/encoder_model.onnx_data_1', 100_000),
    lfs('onnx/decoder_model_merged.onnx', 300_000),
    lfs('onnx/encoder_model_quantized.onnx', 50_000),
    lfs('onnx/decoder_model_merged_quantized.onnx', 80_000),
    lfs('onnx/encoder_model_fp16.onnx', 10_000),
    lfs('onnx/encoder_model_fp16.onnx_data', 200_000),
    lfs('onnx/decoder_model_merged_fp16.onnx', 150_000),
    lfs('onnx/decoder_model.onnx', 60_000),
    lfs('onnx/decoder_with_past_model.onnx', 60_000),
  ];
}

export function contentOf(files: FixtureFile[], filePath: string): Buffer {
  const file = files.find((item) => item.path === filePath);
  if (!file) throw new Error(`no fixture file ${filePath}`);
  return file.content;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI, in this process, with output captured and retries as the test needs them. */
export async function runCli(args: string[], env: Record<string, string>, options: { attempts?: number } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runModelsCli(args, {
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    families: [whisperPullFiles],
    attempts: options.attempts ?? 1,
    retryDelayMs: 0,
  });
  return { code, stdout, stderr };
}

/** A fresh MODELS_DIR; remove it with `fs.rmSync(dir, { recursive: true, force: true })`. */
export function tempModelsDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ap-models-'));
}

/** Every file under `folder`, relative, sorted. */
export function filesUnder(folder: string): string[] {
  return (fs.readdirSync(folder, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}
