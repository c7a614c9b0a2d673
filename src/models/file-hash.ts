/**
 * The hashes the hub publishes, computed as bytes stream past: sha256 of the content for LFS files, and the git
 * blob sha1 (`sha1("blob <size>\0" + content)`) for files kept in git. sha256 is computed for every file, since
 * the manifest records it for `verify`.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import type { RepoFile } from './hub-client';

export class FileHasher {
  private sha256!: Hash;
  private gitBlob: Hash | undefined;

  /** The listing's entry: its size is part of the git blob header, its oids are what the content must match. */
  constructor(private readonly file: RepoFile) {
    this.reset();
  }

  reset(): void {
    this.sha256 = createHash('sha256');
    this.gitBlob = this.file.lfs ? undefined : createHash('sha1').update(`blob ${this.file.size}\0`);
  }

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.gitBlob?.update(chunk);
  }

  /** Feeds an existing file (a `.part` being resumed). */
  async updateFromFile(path: string, onBytes?: (bytes: number) => void): Promise<void> {
    for await (const chunk of fs.createReadStream(path) as AsyncIterable<Buffer>) {
      this.update(chunk);
      onBytes?.(chunk.length);
    }
  }

  /** sha256 hex, and whether the content matches what the hub published. */
  finish(): { sha256: string; matches: boolean } {
    const sha256 = this.sha256.digest('hex');
    const matches = this.file.lfs
      ? sha256 === this.file.lfs.oid
      : // A listing without an oid gives nothing to compare against; the size check still applies.
        this.file.oid === '' || this.gitBlob!.digest('hex') === this.file.oid.toLowerCase();
    return { sha256, matches };
  }
}

/** sha256 hex of a file on disk. */
export async function sha256OfFile(path: string, onBytes?: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    onBytes?.(chunk.length);
  }
  return hash.digest('hex');
}
