/**
 * A push-driven async iterable: the producer (a worker's stream messages) pushes as items arrive, the consumer
 * (the HTTP response) pulls. Ends with `end()`, or throws the error given to `fail()` once the items before it
 * are read. `onStop` runs when the consumer stops early (client gone, iterator returned).
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private finished = false;
  private error: unknown;
  private wake?: () => void;

  constructor(private readonly onStop: () => void = () => {}) {}

  push(item: T): void {
    if (this.finished) return;
    this.items.push(item);
    this.wake?.();
  }

  end(): void {
    this.finished = true;
    this.wake?.();
  }

  fail(error: unknown): void {
    if (this.finished) return;
    this.error = error ?? new Error('stream failed');
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    let completed = false;
    try {
      for (;;) {
        while (this.items.length > 0) yield this.items.shift()!;
        if (this.finished) {
          completed = true;
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      if (!completed) this.onStop();
    }
  }
}
