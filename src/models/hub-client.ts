/**
 * The two Hugging Face hub routes a pull needs, and nothing else:
 *   GET {endpoint}/api/models/{repo}/tree/{revision}?recursive=true   file list with sizes and hashes (paginated)
 *   GET {endpoint}/{repo}/resolve/{revision}/{path}                   the file, usually via a redirect to a CDN
 * HF_ENDPOINT points it at a mirror; HF_TOKEN is sent as a bearer token, but only to the endpoint's own origin, so
 * a CDN (or anything a redirect names) never sees it.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { ModelsError, TransientDownloadError } from './errors';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** One file of the repo as the tree API lists it. */
export interface RepoFile {
  path: string;
  /** Bytes of the file itself (for LFS files too). */
  size: number;
  /** Git blob sha1 (of the pointer, for LFS files). */
  oid: string;
  /** Present for LFS files: `oid` is the sha256 of the content. */
  lfs?: { oid: string; size: number };
}

export interface HubOptions {
  endpoint?: string;
  token?: string;
  /** A response silent for this long is abandoned (then retried from the `.part`). */
  idleTimeoutMs?: number;
}

interface TreeEntry {
  type?: string;
  path?: unknown;
  size?: unknown;
  oid?: unknown;
  lfs?: { oid?: unknown; size?: unknown };
}

const MAX_REDIRECTS = 10;

export class HubClient {
  readonly endpoint: URL;
  private readonly token: string | undefined;
  private readonly idleTimeoutMs: number;

  constructor(options: HubOptions = {}) {
    const raw = options.endpoint?.trim() || DEFAULT_HF_ENDPOINT;
    let endpoint: URL;
    try {
      endpoint = new URL(raw.endsWith('/') ? raw : `${raw}/`);
    } catch {
      throw new ModelsError(`HF_ENDPOINT=${JSON.stringify(raw)} is not a URL (expected e.g. ${DEFAULT_HF_ENDPOINT})`, 2);
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
      throw new ModelsError(`HF_ENDPOINT must be an http(s) URL, got ${JSON.stringify(raw)}`, 2);
    }
    this.endpoint = endpoint;
    this.token = options.token?.trim() || undefined;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  }

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  /** Every file of the repo at `revision`, following the `Link: <…>; rel="next"` pages. */
  async listFiles(repo: string, revision: string): Promise<RepoFile[]> {
    const files: RepoFile[] = [];
    let next: URL | undefined = this.url(`api/models/${repo}/tree/${encodeURIComponent(revision)}`);
    next.searchParams.set('recursive', 'true');
    let pages = 0;
    while (next) {
      if (++pages > 10_000) throw new ModelsError(`${this.endpoint.origin} keeps paginating the file list of ${repo}; giving up`);
      const response = await this.get(next, {}, { repo, revision });
      if (response.statusCode !== 200) throw await this.statusError(response, { repo, revision });
      const body = await readBody(response);
      let entries: unknown;
      try {
        entries = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ModelsError(`${next.origin} did not answer the file list of ${repo} with JSON: is HF_ENDPOINT a Hugging Face hub?`);
      }
      if (!Array.isArray(entries)) throw new ModelsError(`${next.origin} answered the file list of ${repo} with something other than a list`);
      for (const entry of entries as TreeEntry[]) {
        const file = toRepoFile(entry);
        if (file) files.push(file);
      }
      const link = nextLink(response.headers.link);
      next = link ? new URL(link, next) : undefined;
    }
    return files;
  }

  /** Where `path` of the repo is downloaded from (before redirects). */
  resolveUrl(repo: string, revision: string, path: string): URL {
    const encodedPath = path.split('/').map(encodeURIComponent).join('/');
    return this.url(`${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`);
  }

  /**
   * GET, following redirects (relative or absolute). `headers` go to every hop (a CDN honours Range too); the
   * token only to hops on the endpoint's origin. Resolves with the final response, body unread.
   */
  async get(url: URL, headers: Record<string, string>, context: { repo: string; revision: string; file?: string }): Promise<http.IncomingMessage> {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const response = await this.request(current, headers);
      const location = response.headers.location;
      if (isRedirect(response.statusCode) && location) {
        response.resume();
        current = new URL(location, current);
        continue;
      }
      return response;
    }
    throw new ModelsError(`too many redirects fetching ${context.file ?? 'the file list'} of ${context.repo}`);
  }

  /** A readable error for a non-success answer from the hub (reads and discards the body). */
  async statusError(response: http.IncomingMessage, context: { repo: string; revision: string; file?: string }): Promise<ModelsError> {
    const status = response.statusCode ?? 0;
    const code = String(response.headers['x-error-code'] ?? '');
    const serverSays = await readErrorMessage(response);
    const what = context.file ? `${context.file} of ${context.repo}` : context.repo;
    const detail = serverSays ? ` (server: ${serverSays})` : '';
    if (status === 401 || status === 403 || code === 'GatedRepo') {
      const tokenAdvice = this.hasToken
        ? 'HF_TOKEN was sent but does not grant access: check that it can read this repo'
        : 'set HF_TOKEN to a Hugging Face access token that can read it';
      return new ModelsError(
        `${status} from ${response.url ?? this.endpoint.origin}: ${context.repo} is private or gated (or does not exist). ` +
          `${tokenAdvice}; for a gated model, also accept its terms on ${this.url(context.repo).href}${detail}`,
      );
    }
    if (status === 404) {
      if (code === 'RevisionNotFound') return new ModelsError(`revision '${context.revision}' not found in ${context.repo}${detail}`);
      if (code === 'EntryNotFound') return new ModelsError(`${what} not found at revision '${context.revision}'${detail}`);
      return new ModelsError(`no such repo or revision: ${context.repo}@${context.revision} on ${this.endpoint.origin}${detail}`);
    }
    if (status === 429) return new TransientDownloadError(`${this.endpoint.origin} is rate-limiting requests for ${what}; try again later, or set HF_TOKEN${detail}`);
    if (status >= 500) return new TransientDownloadError(`${this.endpoint.origin} answered ${status} for ${what}; try again later${detail}`);
    return new ModelsError(`unexpected ${status} from the hub for ${what}${detail}`);
  }

  private url(path: string): URL {
    return new URL(path, this.endpoint);
  }

  private request(url: URL, headers: Record<string, string>): Promise<http.IncomingMessage> {
    const sameOrigin = url.origin === this.endpoint.origin;
    const allHeaders: Record<string, string> = { 'user-agent': 'audio-pollinations-models/0.1', ...headers };
    if (sameOrigin && this.token) allHeaders.authorization = `Bearer ${this.token}`;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.get(url, { headers: allHeaders }, (response) => {
        // Keep where it came from for messages (IncomingMessage.url is only set on the server side); without the
        // query, which on a CDN is a signature that should not end up in logs.
        response.url = `${url.origin}${url.pathname}`;
        response.setTimeout(this.idleTimeoutMs, () => response.destroy(new TransientDownloadError(`${url.origin} sent nothing for ${this.idleTimeoutMs / 1000}s`)));
        resolve(response);
      });
      request.setTimeout(this.idleTimeoutMs, () => request.destroy(new TransientDownloadError(`${url.origin} did not answer within ${this.idleTimeoutMs / 1000}s`)));
      request.on('error', (error) => reject(networkError(error, url)));
    });
  }
}

/** A connection-level failure, phrased so the user knows what to try. */
export function networkError(error: unknown, url: URL): ModelsError {
  if (error instanceof ModelsError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new TransientDownloadError(
    `cannot reach ${url.origin} (${code}): check the network connection, or set HF_ENDPOINT to a Hugging Face mirror you can reach`,
  );
}

function toRepoFile(entry: TreeEntry): RepoFile | undefined {
  if (entry.type !== 'file' || typeof entry.path !== 'string') return undefined;
  const size = Number(entry.size);
  const file: RepoFile = { path: entry.path, size: Number.isSafeInteger(size) && size >= 0 ? size : 0, oid: String(entry.oid ?? '') };
  if (entry.lfs && typeof entry.lfs.oid === 'string') {
    const lfsSize = Number(entry.lfs.size);
    file.lfs = { oid: entry.lfs.oid.toLowerCase(), size: Number.isSafeInteger(lfsSize) ? lfsSize : file.size };
    file.size = file.lfs.size;
  }
  return file;
}

/** The `rel="next"` target of a Link header, if any. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (!value) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel\s*=\s*"?next"?/i.test(match[2])) return match[1];
  }
  return undefined;
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

async function readBody(response: http.IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) throw new ModelsError(`answer from ${response.url} is larger than ${limit} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    throw networkError(error, new URL(response.url ?? 'http://unknown'));
  }
  return Buffer.concat(chunks);
}

/** The hub's `{"error": "..."}` body, shortened; empty when there is none. */
async function readErrorMessage(response: http.IncomingMessage): Promise<string> {
  try {
    const text = (await readBody(response, 64 * 1024)).toString('utf8').trim();
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === 'string') return parsed.error.slice(0, 300);
    } catch {
      // not JSON: fall through to the raw text
    }
    return text.slice(0, 300);
  } catch {
    return '';
  }
}
