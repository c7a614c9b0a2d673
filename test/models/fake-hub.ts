/**
 * A Hugging Face hub on 127.0.0.1 for one repo, speaking the two routes `models pull` uses:
 *   GET /api/models/{repo}/tree/{revision}?recursive=true   paginated with Link: <…>; rel="next"
 *   GET /{repo}/resolve/{revision}/{path}                   git files served directly, LFS files redirected to /cdn/
 * and a CDN route honouring Range. Knobs make it misbehave the ways real networks do: drop a connection part-way,
 * ignore Range, serve corrupt bytes, demand a token. Every request is recorded with its headers.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureFile {
  path: string;
  content: Buffer;
  lfs: boolean;
}

export interface RecordedRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface FakeHubOptions {
  repo: string;
  files: FixtureFile[];
  /** Tree entries per page (default 4, so any real repo paginates). */
  pageSize?: number;
  /** When set, hub routes without `Authorization: Bearer <token>` answer 401 like a gated repo. */
  token?: string;
  /** Another FakeHub (another origin) to redirect LFS downloads to, like cdn-lfs.huggingface.co. */
  cdn?: FakeHub;
}

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  /** path → bytes of body sent before the connection is cut, once. */
  readonly dropOnce = new Map<string, number>();
  /** Files whose bytes are served with one byte flipped. */
  readonly corrupt = new Set<string>();
  /** Files served with extra bytes after the real content (and a Content-Length to match). */
  readonly oversize = new Set<string>();
  /** Serve 200 with the whole file whatever Range says, as some mirrors and proxies do. */
  ignoreRange = false;
  url = '';
  private readonly server: http.Server;
  private readonly byPath: Map<string, FixtureFile>;

  private constructor(private readonly options: FakeHubOptions) {
    this.byPath = new Map(options.files.map((file) => [file.path, file]));
    this.server = http.createServer((request, response) => this.handle(request, response));
  }

  static async start(options: FakeHubOptions): Promise<FakeHub> {
    const hub = new FakeHub(options);
    await new Promise<void>((resolve) => hub.server.listen(0, '127.0.0.1', resolve));
    hub.url = `http://127.0.0.1:${(hub.server.address() as AddressInfo).port}`;
    return hub;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Requests whose path starts with `prefix`. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter((request) => request.url.startsWith(prefix));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.requests.push({ url: request.url ?? '', headers: request.headers });
    const url = new URL(request.url ?? '/', this.url);
    const repo = this.options.repo;
    const treePrefix = `/api/models/${repo}/tree/`;
    const resolvePrefix = `/${repo}/resolve/`;
    if (url.pathname.startsWith('/cdn/')) return this.serveFile(request, response, decodeURIComponent(url.pathname.slice('/cdn/'.length)));
    if (url.pathname.startsWith('/api/models/') || url.pathname.includes('/resolve/')) {
      if (this.options.token && request.headers.authorization !== `Bearer ${this.options.token}`) {
        return this.error(response, 401, 'GatedRepo', 'Access to model is restricted. You must have access to it and be authenticated to access it.');
      }
    }
    if (url.pathname.startsWith(treePrefix)) {
      const revision = decodeURIComponent(url.pathname.slice(treePrefix.length));
      if (revision !== 'main') return this.error(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      if (url.searchParams.get('recursive') !== 'true') return this.error(response, 400, '', 'this fake serves recursive listings only');
      return this.tree(url, response);
    }
    if (url.pathname.startsWith(resolvePrefix)) {
      const [revision, ...rest] = url.pathname.slice(resolvePrefix.length).split('/');
      if (revision !== 'main') return this.error(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      const path = rest.map(decodeURIComponent).join('/');
      const file = this.byPath.get(path);
      if (!file) return this.error(response, 404, 'EntryNotFound', `${path} does not exist on "main"`);
      if (!file.lfs) return this.serveFile(request, response, path);
      const cdnPath = `/cdn/${rest.join('/')}`;
      response.writeHead(302, { location: this.options.cdn ? `${this.options.cdn.url}${cdnPath}` : cdnPath });
      return void response.end();
    }
    if (url.pathname.startsWith('/api/models/')) return this.error(response, 404, 'RepoNotFound', 'Repository not found');
    return this.error(response, 404, 'RepoNotFound', 'Repository not found');
  }

  private tree(url: URL, response: http.ServerResponse): void {
    const entries = treeEntries(this.options.files);
    const pageSize = this.options.pageSize ?? 4;
    const cursor = Number(url.searchParams.get('cursor') ?? '0');
    const page = entries.slice(cursor, cursor + pageSize);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (cursor + pageSize < entries.length) {
      const next = new URL(url.href);
      next.searchParams.set('cursor', String(cursor + pageSize));
      headers.link = `<${next.href}>; rel="next"`;
    }
    response.writeHead(200, headers);
    response.end(JSON.stringify(page));
  }

  private serveFile(request: http.IncomingMessage, response: http.ServerResponse, path: string): void {
    const file = this.byPath.get(path);
    if (!file) return this.error(response, 404, 'EntryNotFound', 'no such file');
    let content = file.content;
    if (this.corrupt.has(path)) {
      content = Buffer.from(content);
      content[Math.floor(content.length / 2)] ^= 0xff;
    }
    if (this.oversize.has(path)) content = Buffer.concat([content, Buffer.alloc(100_000, 1)]);
    const range = this.ignoreRange ? null : /^bytes=(\d+)-$/.exec(String(request.headers.range ?? ''));
    let status = 200;
    let body = content;
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (range) {
      const start = Number(range[1]);
      if (start >= content.length) {
        response.writeHead(416, { 'content-range': `bytes */${content.length}` });
        return void response.end();
      }
      status = 206;
      body = content.subarray(start);
      headers['content-range'] = `bytes ${start}-${content.length - 1}/${content.length}`;
    }
    headers['content-length'] = body.length;
    response.writeHead(status, headers);
    const drop = this.dropOnce.get(path);
    if (drop !== undefined && drop < body.length) {
      this.dropOnce.delete(path);
      // Headers promise the whole body; cut the socket after part of it, as a flaky network does.
      response.write(body.subarray(0, drop), () => response.socket?.destroy());
      return;
    }
    response.end(body);
  }

  private error(response: http.ServerResponse, status: number, code: string, message: string): void {
    response.writeHead(status, { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}) });
    response.end(JSON.stringify({ error: message }));
  }
}

/** The tree API's entries: directories too, LFS files with the sha256 of their content, git files with blob sha1. */
function treeEntries(files: FixtureFile[]): unknown[] {
  const directories = new Set<string>();
  for (const file of files) {
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) directories.add(parts.slice(0, i).join('/'));
  }
  const entries: unknown[] = [...directories].map((path) => ({ type: 'directory', oid: gitBlobSha1(Buffer.from(path)), size: 0, path }));
  for (const file of files) {
    if (file.lfs) {
      const sha256 = createHash('sha256').update(file.content).digest('hex');
      const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${file.content.length}\n`);
      entries.push({
        type: 'file',
        oid: gitBlobSha1(pointer),
        size: file.content.length,
        lfs: { oid: sha256, size: file.content.length, pointerSize: pointer.length },
        path: file.path,
      });
    } else {
      entries.push({ type: 'file', oid: gitBlobSha1(file.content), size: file.content.length, path: file.path });
    }
  }
  return entries;
}

export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}
