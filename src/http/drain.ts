import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './openai-error';

/**
 * Graceful shutdown at the HTTP edge: counts requests in flight and, once draining, answers new ones 503 (with
 * Retry-After, so a load balancer or the SDK moves on) while the ones already in flight finish.
 */
export class HttpDrain {
  private inFlight = 0;
  private draining = false;
  private idle: Array<() => void> = [];

  isDraining(): boolean {
    return this.draining;
  }

  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    if (this.draining) {
      const error = new ApiError(503, 'The server is shutting down; retry against another instance.', 'server_error', null, 'shutting_down', {
        'retry-after': '5',
        connection: 'close',
      });
      response.status(error.status).set(error.headers).json(error.toBody());
      return;
    }
    this.inFlight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (--this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
    };
    response.once('finish', finish);
    response.once('close', finish);
    next();
  };

  /** Refuses new requests and resolves once those in flight are done, or after `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.inFlight === 0) return;
    await Promise.race([new Promise<void>((resolve) => this.idle.push(resolve)), new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref())]);
  }
}
