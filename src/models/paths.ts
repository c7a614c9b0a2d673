/**
 * Where things go under MODELS_DIR, and the permissions they get. Paths that come from a server (a mirror may be
 * anyone) or from the command line are checked here, so nothing is ever written or removed outside MODELS_DIR.
 */
import * as path from 'node:path';
import { ModelsError } from './errors';

/** Folders: owner rwx, group rx (the security policy asks for no world access to weights). */
export const DIR_MODE = 0o750;
/** Finished files: owner rw, group r. */
export const FILE_MODE = 0o640;
/** A download in progress is private to its owner until its hash is checked. */
export const PART_MODE = 0o600;

export const PART_SUFFIX = '.part';
export const MANIFEST_FILE = '.model.json';

/** A model folder name: one path segment, no leading dot (dot-names are this command's own files). */
export function checkFolderName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.length > 200) {
    throw new ModelsError(`'${name}' is not a model folder name: use letters, digits, '.', '_' or '-' (one folder directly under MODELS_DIR)`, 2);
  }
  return name;
}

/** The absolute path of `repoPath` inside `folder`; refuses anything that would land elsewhere. */
export function fileInFolder(folder: string, repoPath: string): string {
  const segments = repoPath.split('/');
  const unsafe =
    repoPath.length === 0 ||
    repoPath.includes('\\') ||
    repoPath.includes('\0') ||
    path.isAbsolute(repoPath) ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..') ||
    segments[segments.length - 1].endsWith(PART_SUFFIX) ||
    repoPath === MANIFEST_FILE;
  const target = path.resolve(folder, ...segments);
  if (unsafe || !target.startsWith(folder + path.sep)) throw new ModelsError(`refusing the file name '${repoPath}' from the hub: it is not a plain path inside the model folder`);
  return target;
}

/** Relative to the working directory when inside it: shorter, and what the user typed. */
export function displayPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}
