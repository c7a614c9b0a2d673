/**
 * An optional on-disk cache of generated audio, for repeated identical requests (AUDIO_CACHE_DIR; off by default).
 *
 * Entries are files named by a request's sha256 key (64 hex digits), holding exactly the bytes a client received.
 * An entry is written only once the whole response was produced: the bytes go to a private temp file as they
 * stream out, which is renamed into place at the end and deleted when the request fails or is abandoned, so a
 * reader never sees a partial entry. Entries are served for `retentionS` seconds after they were written (their
 * mtime; a hit does not extend it), and a sweeper deletes expired entries, stale temp files and, above
 * `maxBytes`, the oldest entries. Only names this cache makes are ever touched, so a folder shared with other
 * files loses nothing else. The folder is created mode 0700 and files 0600: they hold the audio of users' text.
 *
 * Keys are opaque here (the speech service decides what goes into one). Nothing is logged per request: neither a
 * key (a hash of the input text) nor a path built from one.
 */
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface AudioCacheOptions {
  /** '' = the cache is off: nothing is read or written. */
  dir: string;
  retentionS: number;
  /** 0 = no cap. */
  maxBytes: number;
  /** A temp file no request of this process is writing, untouched for this long, is a leftover (of a crash). */
  staleTempMs: number;
  now?: () => number;
}

export interface SweepReport {
  expired: number;
  temps: number;
  evicted: number;
}

const KEY = /^[0-9a-f]{64}$/;
const TEMP_PREFIX = '.tmp-';
/** Sweeps run at least this often, so an expired entry stays on disk at most a minute past its retention. */
const MAX_SWEEP_INTERVAL_MS = 60_000;

interface TempEntry {
  name: string;
  handle: FileHandle;
  bytes: number;
  /** A write failed (disk full, folder gone): the response carries on, the entry is dropped. */
  failed: boolean;
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

export class AudioCache {
  private readonly logger = new Logger(AudioCache.name);
  private readonly now: () => number;
  /** Temp files this process is writing now: never a sweep's leftovers. */
  private readonly writing = new Set<string>();
  /** Bytes of entries, as of the last sweep plus the entries written since: decides when the cap needs a sweep. */
  private bytes = 0;
  private sweeping?: Promise<SweepReport>;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: AudioCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.dir !== '';
  }

  /** Nest lifecycle: creates the folder, sweeps what an earlier run left, and starts the sweeper. */
  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    const { dir, retentionS, maxBytes } = this.options;
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) {
      await chmod(dir, 0o700); // the umask may have taken bits off; it never adds any, but be explicit
    } else if (((await stat(dir)).mode & 0o077) !== 0) {
      // An operator's folder keeps its mode (it may be a mounted volume), but they should know.
      this.logger.warn(`AUDIO_CACHE_DIR ${dir} is open to other users; cached audio is private data (chmod 700 it).`);
    }
    await this.sweep();
    const intervalMs = Math.min(retentionS * 1000, MAX_SWEEP_INTERVAL_MS);
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref(); // never keeps the process alive on its own
    this.logger.log(`Audio cache on in ${dir}: entries kept ${retentionS} s${maxBytes > 0 ? `, at most ${maxBytes} bytes` : ''}.`);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** The entry's bytes, streamed from disk, or undefined when there is none that may still be served. */
  async read(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    if (!this.enabled) return undefined;
    const file = this.pathOf(key);
    let handle: FileHandle;
    try {
      // O_NOFOLLOW: an entry is a file this cache wrote, never a link to somewhere else.
      handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    try {
      const info = await handle.stat();
      if (info.isFile() && !this.isExpired(info.mtimeMs)) {
        // The open handle keeps the bytes readable even if a sweep deletes the entry meanwhile.
        return handle.createReadStream();
      }
      await handle.close();
      if (info.isFile()) await rm(file, { force: true });
    } catch {
      await handle.close().catch(() => undefined);
    }
    return undefined;
  }

  /**
   * Passes `body` through unchanged and stores it under `key` once it has been produced to its end. If `body`
   * fails or the consumer stops early (the client went away), the partial copy is deleted and nothing is stored.
   * Cache trouble (a full disk) never fails the response: the entry is only skipped.
   */
  record(key: string, body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    return this.enabled ? this.storeWhileStreaming(key, body) : body;
  }

  private async *storeWhileStreaming(key: string, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    // Created on the first pull: a response that never starts leaves nothing to clean up.
    const temp = await this.createTemp();
    let complete = false;
    try {
      for await (const chunk of body) {
        if (temp && !temp.failed && chunk.length > 0) await this.append(temp, chunk);
        yield chunk;
      }
      complete = true;
    } finally {
      if (temp) await this.finish(temp, complete ? key : undefined);
    }
  }

  /**
   * Deletes expired entries, temp files left by a crash, and (above the cap) the oldest entries. One sweep runs at a
   * time; a call during one waits for it.
   */
  sweep(): Promise<SweepReport> {
    if (!this.enabled) return Promise.resolve({ expired: 0, temps: 0, evicted: 0 });
    this.sweeping ??= this.sweepOnce()
      .catch((error: unknown) => {
        // A sweep runs from a timer: a failure is reported, never thrown into nowhere. The next one tries again.
        this.logger.warn(`Audio cache sweep failed (${errorCode(error)}).`);
        return { expired: 0, temps: 0, evicted: 0 };
      })
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<SweepReport> {
    const report: SweepReport = { expired: 0, temps: 0, evicted: 0 };
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch (error) {
      this.logger.warn(`Audio cache sweep could not list AUDIO_CACHE_DIR (${errorCode(error)}).`);
      return report;
    }
    const kept: Array<{ name: string; size: number; mtimeMs: number }> = [];
    for (const name of names) {
      const isEntry = KEY.test(name);
      if (!isEntry && !(name.startsWith(TEMP_PREFIX) && !this.writing.has(name))) continue;
      const file = join(this.options.dir, name);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      if (isEntry && this.isExpired(info.mtimeMs)) {
        await rm(file, { force: true });
        report.expired++;
      } else if (!isEntry && this.now() - info.mtimeMs >= this.options.staleTempMs) {
        await rm(file, { force: true });
        report.temps++;
      } else if (isEntry) {
        kept.push({ name, size: info.size, mtimeMs: info.mtimeMs });
      }
    }
    let total = kept.reduce((sum, entry) => sum + entry.size, 0);
    if (this.options.maxBytes > 0 && total > this.options.maxBytes) {
      kept.sort((a, b) => a.mtimeMs - b.mtimeMs);
      for (const entry of kept) {
        if (total <= this.options.maxBytes) break;
        await rm(join(this.options.dir, entry.name), { force: true });
        total -= entry.size;
        report.evicted++;
      }
    }
    this.bytes = total;
    if (report.expired + report.temps + report.evicted > 0) {
      this.logger.debug(`Audio cache sweep: ${report.expired} expired, ${report.temps} leftover temp files, ${report.evicted} evicted over the cap.`);
    }
    return report;
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error('audio cache keys are sha256 hex digests');
    return join(this.options.dir, key);
  }

  private isExpired(mtimeMs: number): boolean {
    return this.now() - mtimeMs >= this.options.retentionS * 1000;
  }

  private async createTemp(): Promise<TempEntry | undefined> {
    const name = `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`;
    try {
      // 'wx': a fresh file, never an existing one (or a link planted in its place); 0600 from the first byte.
      const handle = await open(join(this.options.dir, name), 'wx', 0o600);
      this.writing.add(name);
      return { name, handle, bytes: 0, failed: false };
    } catch (error) {
      this.logger.warn(`Audio cache: cannot create a file in AUDIO_CACHE_DIR (${errorCode(error)}); this response is not cached.`);
      return undefined;
    }
  }

  private async append(temp: TempEntry, chunk: Uint8Array): Promise<void> {
    try {
      await temp.handle.writeFile(chunk); // writes it all, after what was written before
      temp.bytes += chunk.length;
    } catch (error) {
      temp.failed = true;
      this.logger.warn(`Audio cache: writing an entry failed (${errorCode(error)}); this response is not cached.`);
    }
  }

  /** Renames a complete temp file into place as `key`, or deletes it. Never throws: the response is not at stake. */
  private async finish(temp: TempEntry, key: string | undefined): Promise<void> {
    const tempPath = join(this.options.dir, temp.name);
    try {
      if (key !== undefined && !temp.failed) {
        // On disk before it is visible: a crash must not leave a truncated entry that would be served as audio.
        await temp.handle.datasync();
        await temp.handle.close();
        await rename(tempPath, this.pathOf(key));
        this.bytes += temp.bytes;
        if (this.options.maxBytes > 0 && this.bytes > this.options.maxBytes) void this.sweep();
        return;
      }
    } catch (error) {
      this.logger.warn(`Audio cache: storing an entry failed (${errorCode(error)}); this response is not cached.`);
    } finally {
      this.writing.delete(temp.name);
    }
    await temp.handle.close().catch(() => undefined);
    await rm(tempPath, { force: true }).catch(() => undefined);
  }
}
