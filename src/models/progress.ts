/**
 * Download progress on stderr: a redrawn bar (bytes, %, speed, ETA) when stderr is a terminal, otherwise one line
 * per file, so logs of CI jobs and Docker builds stay readable. No dependency: a bar is one line of text.
 */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** A file starts; `done` bytes are already there (a resumed `.part`). */
  start(file: string, total: number, done: number): void;
  advance(bytes: number): void;
  /** The transfer started over from zero (the server ignored Range). */
  restart(): void;
  finish(file: string, outcome: string): void;
  /** A line that must not be overwritten by the bar (a retry, a warning). */
  note(text: string): void;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgress(stream: OutputStream, now: () => number = Date.now): Progress {
  return stream.isTTY ? new BarProgress(stream, now) : new LineProgress(stream, now);
}

/** Shared bookkeeping: bytes of the current file and when this transfer began (for speed, resumed bytes excluded). */
abstract class BaseProgress implements Progress {
  protected file = '';
  protected total = 0;
  protected done = 0;
  protected resumedFrom = 0;
  protected startedAt = 0;

  constructor(
    protected readonly stream: OutputStream,
    protected readonly now: () => number,
  ) {}

  start(file: string, total: number, done: number): void {
    this.file = file;
    this.total = total;
    this.done = done;
    this.resumedFrom = done;
    this.startedAt = this.now();
  }

  advance(bytes: number): void {
    this.done += bytes;
  }

  restart(): void {
    this.done = 0;
    this.resumedFrom = 0;
    this.startedAt = this.now();
  }

  abstract finish(file: string, outcome: string): void;
  abstract note(text: string): void;

  /** Bytes per second of this transfer. */
  protected speed(): number {
    const seconds = (this.now() - this.startedAt) / 1000;
    return seconds > 0 ? (this.done - this.resumedFrom) / seconds : 0;
  }
}

class LineProgress extends BaseProgress {
  finish(file: string, outcome: string): void {
    const resumed = this.resumedFrom > 0 && this.file === file ? `, resumed at ${formatBytes(this.resumedFrom)}` : '';
    this.stream.write(`  ${file}  ${outcome}${resumed}\n`);
  }

  note(text: string): void {
    this.stream.write(`  ${text}\n`);
  }
}

class BarProgress extends BaseProgress {
  private lastDraw = 0;

  override start(file: string, total: number, done: number): void {
    super.start(file, total, done);
    this.draw(true);
  }

  override advance(bytes: number): void {
    super.advance(bytes);
    this.draw(false);
  }

  finish(file: string, outcome: string): void {
    this.stream.write(`\r\x1b[K  ${file}  ${outcome}\n`);
  }

  note(text: string): void {
    this.stream.write(`\r\x1b[K  ${text}\n`);
  }

  /** At most ten redraws a second: a terminal cannot show more, and each costs a write. */
  private draw(force: boolean): void {
    const at = this.now();
    if (!force && at - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = at;
    const fraction = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const speed = this.speed();
    const eta = speed > 0 ? (this.total - this.done) / speed : Infinity;
    const stats = `${formatBytes(this.done)}/${formatBytes(this.total)} ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(speed)}/s ETA ${formatDuration(eta)}`;
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - stats.length - this.file.length - 8));
    const filled = Math.round(fraction * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    this.stream.write(`\r\x1b[K  ${this.file} ${bar} ${stats}`);
  }
}
