/**
 * The model folders under MODELS_DIR and their manifests (`<folder>/.model.json`): what was pulled from where,
 * each file's sha256 and size, and the outcome of the last check. `list`, `verify` and `rm` work from here.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ModelsError } from './errors';
import { sha256OfFile } from './file-hash';
import { DIR_MODE, FILE_MODE, MANIFEST_FILE, PART_SUFFIX, checkFolderName, fileInFolder } from './paths';
import type { Progress } from './progress';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: 1;
  repo: string;
  revision: string;
  /** Which file selection chose the files (`whisper`, `generic`, …). */
  family: string;
  /** null when the family does not pick files by dtype. */
  dtype: string | null;
  files: ManifestFile[];
  pulled_at: string;
  /** Last time the files were hashed (a pull hashes them too), and what that found. */
  verified: { at: string; ok: boolean; failed?: string[] };
}

export interface ModelFolder {
  name: string;
  /** Bytes of every file in the folder. */
  bytes: number;
  manifest?: Manifest;
  /** Has `.part` files: a pull stopped half-way. */
  incomplete: boolean;
}

export interface VerifyResult {
  name: string;
  ok: boolean;
  /** `path: reason` for each bad file, or why the folder cannot be verified. */
  problems: string[];
}

export class ModelStore {
  /** `root` is absolute (MODELS_DIR, resolved). */
  constructor(readonly root: string) {}

  folderPath(name: string): string {
    return path.join(this.root, checkFolderName(name));
  }

  /** Creates the folder (and MODELS_DIR) with restrictive permissions; existing folders are left as they are. */
  async ensureFolder(name: string): Promise<string> {
    const folder = this.folderPath(name);
    await fsp.mkdir(folder, { recursive: true, mode: DIR_MODE });
    return folder;
  }

  /** The manifest, undefined when the folder has none; a manifest that is not ours is an error. */
  async readManifest(name: string): Promise<Manifest | undefined> {
    const file = path.join(this.folderPath(name), MANIFEST_FILE);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const manifest = JSON.parse(text) as Manifest;
      if (manifest.format !== 1 || typeof manifest.repo !== 'string' || !Array.isArray(manifest.files)) throw new Error('unexpected shape');
      return manifest;
    } catch (error) {
      throw new ModelsError(`${file} is damaged (${(error as Error).message}); pull the model again to rewrite it`);
    }
  }

  /** Written to a temporary name first, so a crash never leaves half a manifest. */
  async writeManifest(name: string, manifest: Manifest): Promise<void> {
    const file = path.join(this.folderPath(name), MANIFEST_FILE);
    const temporary = `${file}.tmp`;
    await fsp.writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`, { mode: FILE_MODE });
    await fsp.chmod(temporary, FILE_MODE);
    await fsp.rename(temporary, file);
  }

  /** Every sub-folder of MODELS_DIR, pulled by this command or copied in by hand. */
  async list(): Promise<ModelFolder[]> {
    const entries = await fsp.readdir(this.root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const folders: ModelFolder[] = [];
    for (const entry of entries.filter((item) => item.isDirectory() && !item.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
      const usage = await diskUsage(path.join(this.root, entry.name));
      let manifest: Manifest | undefined;
      try {
        manifest = await this.readManifest(entry.name);
      } catch {
        manifest = undefined;
      }
      folders.push({ name: entry.name, bytes: usage.bytes, manifest, incomplete: usage.parts > 0 });
    }
    return folders;
  }

  /**
   * Re-hashes every file the manifest lists. Records the outcome in the manifest when the folder is writable (a
   * read-only mount still gets its answer).
   */
  async verify(name: string, progress?: Progress, now: () => Date = () => new Date()): Promise<VerifyResult> {
    const folder = this.folderPath(name);
    if (!fs.existsSync(folder)) return { name, ok: false, problems: [`no such model folder in ${this.root}`] };
    const manifest = await this.readManifest(name);
    if (!manifest) return { name, ok: false, problems: [`no ${MANIFEST_FILE}: not pulled with this command, so there is nothing to check against`] };

    const problems: string[] = [];
    const failed: string[] = [];
    for (const file of manifest.files) {
      const reason = await checkFile(folder, file, progress);
      if (reason) {
        problems.push(`${file.path}: ${reason}`);
        failed.push(file.path);
      }
    }
    const verified = failed.length === 0 ? { at: now().toISOString(), ok: true } : { at: now().toISOString(), ok: false, failed };
    await this.writeManifest(name, { ...manifest, verified }).catch(() => undefined);
    return { name, ok: problems.length === 0, problems };
  }

  /** Deletes a folder this command pulled; returns the bytes freed. */
  async remove(name: string): Promise<number> {
    const folder = this.folderPath(name);
    const stat = await fsp.lstat(folder).catch(() => undefined);
    if (!stat) throw new ModelsError(`no model folder '${name}' in ${this.root}`);
    if (stat.isSymbolicLink() || !stat.isDirectory()) throw new ModelsError(`${folder} is not a model folder (not a plain directory); remove it by hand if you mean to`);
    if (!fs.existsSync(path.join(folder, MANIFEST_FILE))) {
      throw new ModelsError(`${folder} has no ${MANIFEST_FILE}, so it was not pulled by this command; remove it by hand if you mean to`);
    }
    const { bytes } = await diskUsage(folder);
    await fsp.rm(folder, { recursive: true });
    return bytes;
  }
}

async function checkFile(folder: string, file: ManifestFile, progress?: Progress): Promise<string | undefined> {
  let target: string;
  try {
    target = fileInFolder(folder, file.path);
  } catch {
    return 'not a path inside the folder';
  }
  const stat = await fsp.lstat(target).catch(() => undefined);
  if (!stat) return 'missing';
  if (!stat.isFile()) return 'not a regular file';
  if (stat.size !== file.size) return `size ${stat.size}, expected ${file.size}`;
  progress?.start(file.path, file.size, 0);
  const sha256 = await sha256OfFile(target, (bytes) => progress?.advance(bytes));
  const reason = sha256 === file.sha256 ? undefined : 'sha256 differs from the one recorded at pull';
  progress?.finish(file.path, reason ? 'MISMATCH' : 'ok');
  return reason;
}

/** Bytes of regular files under `folder` (symlinks not followed), and how many are unfinished downloads. */
async function diskUsage(folder: string): Promise<{ bytes: number; parts: number }> {
  let bytes = 0;
  let parts = 0;
  const entries = await fsp.readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const stat = await fsp.lstat(path.join(entry.parentPath, entry.name)).catch(() => undefined);
    bytes += stat?.size ?? 0;
    if (entry.name.endsWith(PART_SUFFIX)) parts++;
  }
  return { bytes, parts };
}
