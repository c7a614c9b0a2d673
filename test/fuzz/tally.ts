import type { FuzzRequest } from './http-cases';

/** How one request ended: a status with its body checked, or a crash (no answer, a cut body, a hang). */
export type Outcome = { status: number; envelope: boolean } | { crash: string };

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
    if (response.ok) return { status: response.status, envelope: true };
    return { status: response.status, envelope: isOpenAIError(body) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { crash: `${(error as Error).name}: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}

/** Exactly `{"error":{message,type,param,code}}`, with a string message. */
function isOpenAIError(body: Buffer): boolean {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: Record<string, unknown> };
    const error = parsed.error;
    return Object.keys(parsed).join() === 'error' && !!error && Object.keys(error).sort().join() === 'code,message,param,type' && typeof error.message === 'string';
  } catch {
    return false;
  }
}

/** Running figures over every case, with the first few failures kept for the report. */
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
      if (!outcome.envelope) failure = `${outcome.status} without OpenAI's error envelope`;
    } else if (outcome.status >= 200 && outcome.status < 300) {
      this.ok++;
    } else {
      this.otherStatuses++;
      failure = `unexpected ${outcome.status}`;
    }
    if (failure && !('crash' in outcome) && outcome.status >= 400 && !outcome.envelope) this.badEnvelopes++;
    if (failure && this.failures.length < 10) this.failures.push(`${failure}: ${request.method} ${request.path} — ${request.label.slice(0, 300)}`);
    return failure === undefined;
  }
}
