/**
 * The models one worker holds. A model loads once per worker (concurrent first requests share the one load),
 * is counted while in use, and is disposed once it has idled for the TTL, releasing its sessions and memory.
 */
import type { PluginInstance } from '../../../plugins/sdk';

export interface CacheEvents {
  loaded(model: string, ms: number): void;
  unloaded(model: string, idleMs: number): void;
  disposeFailed(model: string, error: unknown): void;
}

interface Entry {
  instance: Promise<PluginInstance>;
  users: number;
  pinned: boolean;
  idleSince: number;
  timer?: NodeJS.Timeout;
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    /** -1 keeps models forever, 0 unloads right after use. */
    private readonly ttlSeconds: number,
    private readonly events: CacheEvents,
  ) {}

  /** The model, loading it if needed; the caller must `release` it when done. */
  async acquire(key: string, load: () => Promise<PluginInstance> | PluginInstance, options: { pin?: boolean } = {}): Promise<PluginInstance> {
    let entry = this.entries.get(key);
    if (!entry) {
      const started = performance.now();
      const instance = Promise.resolve().then(load);
      entry = { instance, users: 0, pinned: false, idleSince: Date.now() };
      this.entries.set(key, entry);
      const created = entry;
      instance.then(
        () => this.events.loaded(key, Math.round(performance.now() - started)),
        // A failed load is not cached: the next request tries again.
        () => this.entries.get(key) === created && this.entries.delete(key),
      );
    }
    if (options.pin) entry.pinned = true;
    entry.users++;
    clearTimeout(entry.timer);
    try {
      return await entry.instance;
    } catch (error) {
      entry.users--;
      throw error;
    }
  }

  release(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.users--;
    if (entry.users > 0 || entry.pinned || this.ttlSeconds < 0) return;
    entry.idleSince = Date.now();
    entry.timer = setTimeout(() => void this.unload(key, entry), this.ttlSeconds * 1000);
    entry.timer.unref();
  }

  loadedModels(): string[] {
    return [...this.entries.keys()];
  }

  /** Disposes every model (the worker is going away). */
  async clear(): Promise<void> {
    await Promise.all([...this.entries].map(([key, entry]) => this.unload(key, entry)));
  }

  private async unload(key: string, entry: Entry): Promise<void> {
    if (this.entries.get(key) !== entry || entry.users > 0) return;
    this.entries.delete(key);
    clearTimeout(entry.timer);
    try {
      await (await entry.instance).dispose?.();
      this.events.unloaded(key, Date.now() - entry.idleSince);
    } catch (error) {
      this.events.disposeFailed(key, error);
    }
  }
}
