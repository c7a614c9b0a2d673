/**
 * One file from the hub into a model folder, safely: bytes go to `<file>.part` (owner-only), are hashed as they
 * arrive, and the file takes its real name only once its hash matches the listing. An interrupted transfer leaves
 * the `.part`; the next attempt (or the next run) re-hashes it and asks for the rest with `Range`.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { ModelsError, TransientDownloadError } from './errors';
import { FileHasher } from './file-hash';
import type { HubClient, RepoFile } from './hub-client';
import { DIR_MODE, FILE_MODE, PART_MODE, PART_SUFFIX, fileInFolder } from './paths';
import { formatBytes, type Progress } from './progress';

export interface DownloadOptions {
  hub: HubClient;
  repo: string;
  revision: string;
  /** Absolute path of the model folder. */
  folder: string;
  progress: Progress;
  /** Tries per file for transient failures (dropped connections, 5xx), each resuming from the `.part`. */
  attempts?: number;
  /** Wait before retry n is n × this. */
  retryDelayMs?: number;
}

export interface DownloadResult {
  path: string;
  size: number;
  sha256: string;
  outcome: 'present' | 'downloaded';
}

export async function downloadFile(file: RepoFile, options: DownloadOptions): Promise<DownloadResult> {
  const target = fileInFolder(options.folder, file.path);
  await fsp.mkdir(path.dirname(target), { recursive: true, mode: DIR_MODE });

  const presentHash = await hashIfPresent(file, target, options.progress);
  if (presentHash) {
    options.progress.finish(file.path, `${formatBytes(file.size)} already present`);
    return { path: file.path, size: file.size, sha256: presentHash, outcome: 'present' };
  }

  const attempts = Math.max(1, options.attempts ?? 3);
  for (let attempt = 1; ; attempt++) {
    try {
      const sha256 = await transfer(file, target, options);
      options.progress.finish(file.path, `${formatBytes(file.size)} downloaded`);
      return { path: file.path, size: file.size, sha256, outcome: 'downloaded' };
    } catch (error) {
      if (!(error instanceof TransientDownloadError)) throw error;
      if (attempt >= attempts) {
        const kept = await sizeOf(target + PART_SUFFIX);
        throw new ModelsError(
          `${file.path}: ${error.message}` +
            (kept > 0 ? `; ${formatBytes(kept)} kept in ${path.basename(target)}${PART_SUFFIX}, run the same command again to resume` : ''),
        );
      }
      options.progress.note(`${file.path}: ${error.message}; retrying (${attempt}/${attempts - 1})`);
      await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 1000) * attempt));
    }
  }
}

/** The sha256 of `target` when it is already there with the content the hub lists; undefined otherwise. */
async function hashIfPresent(file: RepoFile, target: string, progress: Progress): Promise<string | undefined> {
  const stat = await fsp.lstat(target).catch(() => undefined);
  if (!stat?.isFile() || stat.size !== file.size) return undefined;
  const hasher = new FileHasher(file);
  progress.start(`${file.path} (checking)`, file.size, 0);
  await hasher.updateFromFile(target, (bytes) => progress.advance(bytes));
  const { sha256, matches } = hasher.finish();
  return matches ? sha256 : undefined;
}

/** One attempt: resume or start the `.part`, stream the rest, check the hash, rename. Returns the sha256. */
async function transfer(file: RepoFile, target: string, options: DownloadOptions): Promise<string> {
  const part = target + PART_SUFFIX;
  const hasher = new FileHasher(file);
  const context = { repo: options.repo, revision: options.revision, file: file.path };
  let offset = await resumableBytes(part, file.size);
  if (offset > 0) await hasher.updateFromFile(part);
  options.progress.start(file.path, file.size, offset);

  // A complete `.part` (the previous run died between download and rename) needs no request at all.
  while (offset < file.size || !fs.existsSync(part)) {
    const url = options.hub.resolveUrl(options.repo, options.revision, file.path);
    const response = await options.hub.get(url, offset > 0 ? { range: `bytes=${offset}-` } : {}, context);
    if (response.statusCode === 416 && offset > 0) {
      // The server will not serve from there: the part is not a prefix of what it has. Start over.
      response.resume();
      await fsp.rm(part, { force: true });
      offset = 0;
      hasher.reset();
      options.progress.restart();
      continue;
    }
    let append = false;
    if (response.statusCode === 206) {
      const start = contentRangeStart(response.headers['content-range']);
      if (start !== offset) {
        response.destroy();
        await fsp.rm(part, { force: true });
        throw new TransientDownloadError(`the server resumed at byte ${start ?? '?'} instead of ${offset}; starting over`);
      }
      append = true;
    } else if (response.statusCode === 200) {
      // A server that ignores Range sends the whole file: drop what we had and take it from the top.
      if (offset > 0) {
        offset = 0;
        hasher.reset();
        options.progress.restart();
      }
    } else {
      throw await options.hub.statusError(response, context);
    }
    await writeBody(response, part, append, offset, file, hasher, options.progress);
    offset = file.size;
  }

  const { sha256, matches } = hasher.finish();
  if (!matches) {
    await fsp.rm(part, { force: true });
    const expected = file.lfs ? `sha256 ${file.lfs.oid}` : `git blob sha1 ${file.oid}`;
    throw new ModelsError(
      `${file.path}: the downloaded bytes do not match the hash the hub lists (${expected}); the download was deleted. ` +
        'Run the command again; if it fails the same way, the server (or HF_ENDPOINT mirror) serves a corrupt file.',
    );
  }
  await fsp.chmod(part, FILE_MODE);
  await fsp.rename(part, target);
  return sha256;
}

/** Bytes of a `.part` worth resuming from; removes one that cannot be a prefix of the file. */
async function resumableBytes(part: string, size: number): Promise<number> {
  const stat = await fsp.lstat(part).catch(() => undefined);
  if (!stat) return 0;
  if (!stat.isFile() || stat.size > size) {
    await fsp.rm(part, { recursive: true, force: true });
    return 0;
  }
  return stat.size;
}

async function writeBody(
  response: IncomingMessage,
  part: string,
  append: boolean,
  offset: number,
  file: RepoFile,
  hasher: FileHasher,
  progress: Progress,
): Promise<void> {
  let received = offset;
  // Each chunk is on disk before the next is read, so after a drop the `.part` holds exactly the bytes hashed
  // and counted: the resume asks for precisely the rest.
  const out = await fsp.open(part, append ? 'a' : 'w', PART_MODE);
  try {
    for await (const chunk of readChunks(response)) {
      if (received + chunk.length > file.size) {
        // Never write past the listed size: a broken or hostile server could otherwise fill the disk.
        response.destroy();
        await out.close();
        await fsp.rm(part, { force: true });
        throw new ModelsError(`${file.path}: the server sent more than the ${file.size} bytes the hub lists; the download was deleted`);
      }
      try {
        await out.write(chunk);
      } catch (error) {
        response.destroy();
        throw new ModelsError(`cannot write ${part} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
      received += chunk.length;
      hasher.update(chunk);
      progress.advance(chunk.length);
    }
  } finally {
    await out.close().catch(() => undefined);
  }
  if (received < file.size) throw new TransientDownloadError(`the server ended the file after ${formatBytes(received)} of ${formatBytes(file.size)}`);
}

/** The body's chunks; a connection that breaks mid-body becomes a TransientDownloadError. */
async function* readChunks(response: IncomingMessage): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    if (error instanceof ModelsError) throw error;
    throw new TransientDownloadError(`connection lost (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** `bytes 100-199/200` → 100. */
function contentRangeStart(header: string | undefined): number | undefined {
  const match = /^bytes\s+(\d+)-\d+\/(\d+|\*)$/i.exec(header?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}

async function sizeOf(file: string): Promise<number> {
  return (await fsp.stat(file).catch(() => undefined))?.size ?? 0;
}
