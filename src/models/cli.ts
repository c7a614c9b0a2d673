/**
 * `npm run models -- <verb> …`: argument parsing and what is printed. Results go to stdout, progress and
 * messages to stderr. Exit codes: 0 done, 1 failed, 2 the command line was not understood.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ENV_SCHEMA } from '../config/env.schema';
import { aliasNames } from './aliases';
import { ModelsError, UsageError } from './errors';
import type { ModelFamily } from './file-selection';
import { HubClient } from './hub-client';
import { ModelStore, type ModelFolder } from './model-store';
import { displayPath } from './paths';
import { createProgress, formatBytes, type OutputStream } from './progress';
import { pull } from './pull';

export interface CliContext {
  env: Record<string, string | undefined>;
  stdout: OutputStream;
  stderr: OutputStream;
  /** File selections by model family (the entry script passes the plugins' ones). */
  families: readonly ModelFamily[];
  /** Tries per file on dropped connections (default 3). */
  attempts?: number;
  retryDelayMs?: number;
  now?: () => Date;
}

export const USAGE = `Usage: npm run models -- <command> [options]

Manage model weights in MODELS_DIR (default: models/), fetched from the Hugging Face hub.

Commands:
  pull <repo-or-alias>   Download a model into MODELS_DIR/<folder>, verifying every file's hash
      --dtype <dtype>    Weights variant: fp32 (default), fp16, q8, int8, uint8, q4, q4f16 (Whisper, Chatterbox)
      --revision <rev>   Branch, tag or commit (default: main)
      --as <folder>      Folder name (default: the repo name without its owner)
  list                   Installed model folders: size, repo, dtype, last verification
  verify [<folder>...]   Re-hash files against the manifest (all folders when none given); exit 1 on a mismatch
  rm <folder>            Delete a model folder pulled by this command

Aliases: ${aliasNames().join(', ')}

Environment:
  MODELS_DIR    where models live (relative to the project root)
  HF_ENDPOINT   hub or mirror to fetch from (default: https://huggingface.co)
  HF_TOKEN      access token for private or gated repos (sent only to HF_ENDPOINT's origin)

An interrupted pull resumes where it stopped: run the same command again.
`;

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export async function runModelsCli(argv: readonly string[], context: CliContext): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (verb === undefined) throw new UsageError('no command given');
    if (verb === '--help' || verb === '-h' || verb === 'help') {
      context.stdout.write(USAGE);
      return 0;
    }
    switch (verb) {
      case 'pull':
        return await pullCommand(rest, context);
      case 'list':
      case 'ls':
        return await listCommand(rest, context);
      case 'verify':
        return await verifyCommand(rest, context);
      case 'rm':
      case 'remove':
        return await removeCommand(rest, context);
      default:
        throw new UsageError(`unknown command '${verb}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ModelsError) {
      context.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    context.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

/** parseArgs with its complaints turned into usage errors; `undefined` when --help was asked for (usage printed). */
function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O, context: CliContext) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...options, ...HELP }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    context.stdout.write(USAGE);
    return undefined;
  }
  return parsed;
}

function modelStore(env: CliContext['env']): ModelStore {
  const raw = env.MODELS_DIR?.trim();
  return new ModelStore(ENV_SCHEMA.MODELS_DIR.parse(raw ? raw : ENV_SCHEMA.MODELS_DIR.default));
}

async function pullCommand(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parse(args, { dtype: { type: 'string' }, revision: { type: 'string' }, as: { type: 'string' } }, context);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('pull takes one repo or alias, e.g. pull onnx-community/whisper-base');
  const { dtype, revision, as } = parsed.values as { dtype?: string; revision?: string; as?: string };
  const hub = new HubClient({ endpoint: context.env.HF_ENDPOINT, token: context.env.HF_TOKEN });
  const store = modelStore(context.env);
  const summary = await pull(
    { model: parsed.positionals[0], dtype, revision, folder: as },
    {
      hub,
      store,
      families: context.families,
      progress: createProgress(context.stderr),
      log: (line) => context.stderr.write(`${line}\n`),
      attempts: context.attempts,
      retryDelayMs: context.retryDelayMs,
      now: context.now,
    },
  );
  const fetched = summary.files.filter((file) => file.outcome === 'downloaded');
  const bytes = summary.files.reduce((sum, file) => sum + file.size, 0);
  context.stdout.write(
    `Pulled ${summary.repo} into ${displayPath(summary.folderPath)}: ${summary.files.length} files, ${formatBytes(bytes)} ` +
      `(${fetched.length} downloaded, ${summary.files.length - fetched.length} already present)\n`,
  );
  return 0;
}

async function listCommand(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parse(args, {}, context);
  if (!parsed) return 0;
  if (parsed.positionals.length > 0) throw new UsageError('list takes no arguments');
  const store = modelStore(context.env);
  const folders = await store.list();
  if (folders.length === 0) {
    context.stdout.write(`No models in ${displayPath(store.root)}. Fetch one with: npm run models -- pull whisper-base\n`);
    return 0;
  }
  const rows = [['FOLDER', 'SIZE', 'REPO', 'DTYPE', 'VERIFIED'], ...folders.map(listRow)];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) context.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()}\n`);
  return 0;
}

function listRow(folder: ModelFolder): string[] {
  const manifest = folder.manifest;
  const at = manifest?.verified.at.replace(/\.\d+Z$/, 'Z');
  let state: string;
  if (folder.incomplete) state = 'incomplete (pull again to resume)';
  else if (!manifest) state = 'unknown (no manifest)';
  else if (manifest.verified.ok) state = `ok ${at}`;
  else state = `FAILED ${at}: ${(manifest.verified.failed ?? []).join(', ')}`;
  const revision = manifest && manifest.revision !== 'main' ? `@${manifest.revision}` : '';
  return [folder.name, formatBytes(folder.bytes), manifest ? `${manifest.repo}${revision}` : '-', manifest?.dtype ?? '-', state];
}

async function verifyCommand(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parse(args, {}, context);
  if (!parsed) return 0;
  const store = modelStore(context.env);
  let names = parsed.positionals;
  if (names.length === 0) {
    const folders = await store.list();
    for (const folder of folders.filter((item) => !item.manifest)) context.stdout.write(`${folder.name}: skipped (no manifest)\n`);
    names = folders.filter((item) => item.manifest).map((item) => item.name);
    if (names.length === 0) {
      context.stdout.write(`No pulled models in ${displayPath(store.root)} to verify\n`);
      return 0;
    }
  }
  const progress = context.stderr.isTTY ? createProgress(context.stderr) : undefined;
  let failures = 0;
  for (const name of names) {
    const result = await store.verify(name, progress, context.now);
    if (result.ok) {
      context.stdout.write(`${name}: ok\n`);
    } else {
      failures++;
      context.stdout.write(`${name}: FAILED\n${result.problems.map((problem) => `  ${problem}\n`).join('')}`);
    }
  }
  if (failures > 0) {
    context.stderr.write(`error: ${failures} of ${names.length} model folders failed verification; pull them again to repair\n`);
    return 1;
  }
  return 0;
}

async function removeCommand(args: readonly string[], context: CliContext): Promise<number> {
  const parsed = parse(args, {}, context);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('rm takes one model folder name (see: npm run models -- list)');
  const store = modelStore(context.env);
  const name = parsed.positionals[0];
  const folder = store.folderPath(name);
  const bytes = await store.remove(name);
  context.stdout.write(`Removed ${displayPath(folder)} (${formatBytes(bytes)})\n`);
  return 0;
}
