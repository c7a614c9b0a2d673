import type { FuzzRequest } from './http-cases';

/**
 * How one request ended: a status with its body checked, or a crash (no answer, a cut body, a hang). A 2xx event
 * stream may still carry an error event (the headers were gone when it happened): `streamError` is its `type`.
 */
export type Outcome = { status: number; envelope: boolean; body: Buffer; streamError?: string } | { crash: string };

/** Longest a fuzz request may take before it counts as hung. Generous: the machine is shared and slow. */
const HANG_MS = 60_000;

/** Sends one request to completion (body read to the end) and judges the answer. */
export async function send(baseUrl: string, request: FuzzRequest): Promise<Outcome> {
  try {
    const response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(HANG_MS),
    });
    const body = Buffer.from(await response.arrayBuffer());
    if (!response.ok) return { status: response.status, envelope: isOpenAIError(body), body };
    const streamError = response.headers.get('content-type')?.startsWith('text/event-stream') ? errorEventType(body) : undefined;
    return { status: response.status, envelope: true, body, ...(streamError !== undefined ? { streamError } : {}) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { crash: `${(error as Error).name}: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}

/** Exactly `{"error":{message,type,param,code}}`, with a string message. */
function isOpenAIError(body: Buffer): boolean {
  try {
    return isEnvelope(JSON.parse(body.toString('utf8')));
  } catch {
    return false;
  }
}

function isEnvelope(parsed: unknown): boolean {
  const error = (parsed as { error?: Record<string, unknown> } | null)?.error;
  return Object.keys(parsed ?? {}).join() === 'error' && !!error && Object.keys(error).sort().join() === 'code,message,param,type' && typeof error.message === 'string';
}

/** The `type` of the first error event in an SSE body ('malformed' when it is not in OpenAI's envelope). */
function errorEventType(body: Buffer): string | undefined {
  for (const frame of body.toString('utf8').split('\n\n')) {
    if (!frame.startsWith('data: ') || frame === 'data: [DONE]') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(frame.slice(6));
    } catch {
      return 'malformed';
    }
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) return isEnvelope(parsed) ? String((parsed as { error: { type: unknown } }).error.type) : 'malformed';
  }
  return undefined;
}

/**
 * Running figures over every case, with the first few failures kept for the report. An error event inside a 2xx
 * stream counts as the status it stands for: a `server_error` as a 5xx, any other as a 4xx.
 */
export class Tally {
  cases = 0;
  ok = 0;
  clientErrors = 0;
  serverErrors = 0;
  otherStatuses = 0;
  badEnvelopes = 0;
  crashes = 0;
  readonly failures: string[] = [];

  record(request: FuzzRequest, outcome: Outcome): boolean {
    this.cases++;
    let failure: string | undefined;
    if ('crash' in outcome) {
      this.crashes++;
      failure = `crash (${outcome.crash})`;
    } else if (outcome.status >= 500) {
      this.serverErrors++;
      failure = `${outcome.status}`;
    } else if (outcome.status >= 400) {
      this.clientErrors++;
      if (!outcome.envelope) {
        this.badEnvelopes++;
        failure = `${outcome.status} without OpenAI's error envelope`;
      }
    } else if (outcome.status >= 200 && outcome.status < 300) {
      if (outcome.streamError === undefined) this.ok++;
      else if (outcome.streamError === 'server_error') {
        this.serverErrors++;
        failure = `${outcome.status} with a server_error event in the stream`;
      } else {
        this.clientErrors++;
        if (outcome.streamError === 'malformed') {
          this.badEnvelopes++;
          failure = `${outcome.status} with an error event outside OpenAI's envelope`;
        }
      }
    } else {
      this.otherStatuses++;
      failure = `unexpected ${outcome.status}`;
    }
    if (failure && this.failures.length < 10) this.failures.push(`${failure}: ${request.method} ${request.path.slice(0, 200)} — ${request.label.slice(0, 300)}`);
    return failure === undefined;
  }

  /** The figure line the README quotes. */
  figures(): string {
    return `cases ${this.cases}, 2xx ${this.ok}, 4xx ${this.clientErrors}, 5xx ${this.serverErrors}, crashes ${this.crashes}, bad envelopes ${this.badEnvelopes}`;
  }
}

/** One Tally per route (`FuzzRequest.route`), and one over them all. */
export class RouteTallies {
  readonly all = new Tally();
  readonly byRoute = new Map<string, Tally>();

  record(request: FuzzRequest, outcome: Outcome): boolean {
    let route = this.byRoute.get(request.route);
    if (!route) this.byRoute.set(request.route, (route = new Tally()));
    route.record(request, outcome);
    return this.all.record(request, outcome);
  }
}
