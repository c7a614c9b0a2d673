/**
 * `pull`: list the repo, let the model family choose the files, fetch those not already there (verified), and
 * record them in the folder's manifest. The manifest is written last, so a folder with one is complete.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { aliasNames, resolveRepo } from './aliases';
import { downloadFile, type DownloadResult } from './download';
import { ModelsError, UsageError } from './errors';
import { familyFor, type ModelFamily } from './file-selection';
import type { HubClient, RepoFile } from './hub-client';
import type { Manifest, ModelStore } from './model-store';
import { PART_SUFFIX, displayPath, fileInFolder } from './paths';
import { formatBytes, type Progress } from './progress';

export interface PullRequest {
  /** `owner/name` or an alias such as `whisper-base`. */
  model: string;
  dtype?: string;
  revision?: string;
  /** Folder under MODELS_DIR; default: the repo name without its owner. */
  folder?: string;
}

export interface PullContext {
  hub: HubClient;
  store: ModelStore;
  families: readonly ModelFamily[];
  progress: Progress;
  /** Lines for the person running the command (stderr). */
  log: (line: string) => void;
  attempts?: number;
  retryDelayMs?: number;
  now?: () => Date;
}

export interface PullSummary {
  repo: string;
  folder: string;
  folderPath: string;
  files: DownloadResult[];
}

export async function pull(request: PullRequest, context: PullContext): Promise<PullSummary> {
  const repo = resolveRepo(request.model);
  if (!repo) throw new UsageError(`'${request.model}' is neither a repo id (owner/name) nor a known alias (${aliasNames().join(', ')})`);
  const revision = request.revision?.trim() || 'main';
  const family = familyFor(repo, context.families);
  const dtype = checkDtype(family, repo, request.dtype);
  const folder = request.folder ?? repo.split('/')[1];
  const folderPath = context.store.folderPath(folder);

  await refuseOtherModel(context.store, folder, repo, dtype);

  const listing = await context.hub.listFiles(repo, revision);
  const byPath = new Map(listing.map((file) => [file.path, file]));
  let selected: string[];
  try {
    selected = family.selectFiles([...byPath.keys()], { dtype: dtype ?? undefined });
  } catch (error) {
    throw new ModelsError(`${repo}@${revision}: ${(error as Error).message}`);
  }
  const files = selected.map((file) => {
    const entry = byPath.get(file);
    if (!entry) throw new ModelsError(`${repo}@${revision} has no file ${file}`);
    fileInFolder(folderPath, entry.path); // a hostile listing is refused before anything is created
    return entry;
  });
  if (files.length === 0) throw new ModelsError(`${repo}@${revision} has no files to pull`);

  await context.store.ensureFolder(folder);
  const needed = bytesStillNeeded(folderPath, files);
  await checkFreeSpace(folderPath, needed);
  const total = files.reduce((sum, file) => sum + file.size, 0);
  context.log(
    `Pulling ${repo}@${revision}${dtype ? ` (${dtype})` : ''} into ${displayPath(folderPath)}: ${files.length} files, ${formatBytes(total)}` +
      (needed < total ? ` (${formatBytes(needed)} left to fetch)` : ''),
  );

  const results: DownloadResult[] = [];
  for (const file of files) {
    results.push(
      await downloadFile(file, {
        hub: context.hub,
        repo,
        revision,
        folder: folderPath,
        progress: context.progress,
        attempts: context.attempts,
        retryDelayMs: context.retryDelayMs,
      }),
    );
  }

  const pulledAt = (context.now ?? (() => new Date()))().toISOString();
  const manifest: Manifest = {
    format: 1,
    repo,
    revision,
    family: family.id,
    dtype,
    files: results.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
    pulled_at: pulledAt,
    verified: { at: pulledAt, ok: true },
  };
  await context.store.writeManifest(folder, manifest);
  return { repo, folder, folderPath, files: results };
}

/** The dtype to record: the one asked for (checked against the family's), its default, or null. */
function checkDtype(family: ModelFamily, repo: string, dtype: string | undefined): string | null {
  if (dtype === undefined) return family.defaultDtype ?? null;
  if (family.dtypes.length === 0) {
    throw new UsageError(`--dtype does not apply to ${repo}: no file selection knows its layout, so every file is fetched; leave --dtype out`);
  }
  if (!family.dtypes.includes(dtype)) throw new UsageError(`unknown --dtype '${dtype}' for ${family.id} models (expected one of ${family.dtypes.join(', ')})`);
  return dtype;
}

/** One folder holds one repo at one dtype, so a backend loading it knows which files it means. */
async function refuseOtherModel(store: ModelStore, folder: string, repo: string, dtype: string | null): Promise<void> {
  const existing = await store.readManifest(folder).catch(() => undefined);
  if (!existing || (existing.repo === repo && existing.dtype === dtype)) return;
  const held = `${existing.repo}${existing.dtype ? ` (${existing.dtype})` : ''}`;
  const [owner, name] = repo.split('/');
  const suggestion = existing.repo === repo ? `${folder}-${dtype ?? 'all'}` : `${owner}-${name}`;
  throw new ModelsError(
    `${displayPath(store.folderPath(folder))} already holds ${held}. Pull into another folder (--as ${suggestion}), ` +
      `or remove it first: npm run models -- rm ${folder}`,
  );
}

/** Bytes to fetch: files not already at full size, less what their `.part` files hold. An estimate for the space check. */
function bytesStillNeeded(folderPath: string, files: RepoFile[]): number {
  let needed = 0;
  for (const file of files) {
    const target = fileInFolder(folderPath, file.path);
    const present = fs.statSync(target, { throwIfNoEntry: false });
    if (present?.isFile() && present.size === file.size) continue;
    const part = fs.statSync(target + PART_SUFFIX, { throwIfNoEntry: false });
    needed += file.size - (part && part.size <= file.size ? part.size : 0);
  }
  return needed;
}

async function checkFreeSpace(folderPath: string, needed: number): Promise<void> {
  const stats = await fsp.statfs(folderPath).catch(() => undefined);
  if (!stats) return;
  const free = stats.bavail * stats.bsize;
  if (needed > free) throw new ModelsError(`not enough disk space in ${folderPath}: ${formatBytes(needed)} to fetch, ${formatBytes(free)} free`);
}
