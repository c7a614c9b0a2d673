/**
 * A real HTTP server on loopback that answers like an OpenAI-compatible chat API (Pollinations' text API shape),
 * and, when told to, fails the ways real upstreams do. Tests set `behaviour` before each call.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type LlmBehaviour =
  | 'reply'
  /** 200 with a JSON body even when asked to stream (some upstreams ignore `stream`). */
  | 'reply-json-always'
  | 'unauthorized'
  | 'rate-limited'
  | 'malformed'
  /** Accepts the request and never answers. */
  | 'hang'
  /** Streams one delta, then goes silent. */
  | 'stall-mid-stream';

export interface LlmCall {
  headers: IncomingMessage['headers'];
  body: { model: string; messages: Array<{ role: string; content: string }>; stream?: boolean; [key: string]: unknown };
}

export interface FakeLlm {
  url: string;
  behaviour: LlmBehaviour;
  reply: string;
  calls: LlmCall[];
  close(): Promise<void>;
}

const USAGE = { prompt_tokens: 31, completion_tokens: 17, total_tokens: 48 };

function chunk(delta: object, finish_reason: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta, finish_reason }] })}\n\n`;
}

export async function startFakeLlm(reply: string): Promise<FakeLlm> {
  const open = new Set<ServerResponse>();
  const llm: FakeLlm = { url: '', behaviour: 'reply', reply, calls: [], close: async () => undefined };

  const answer = (request: IncomingMessage, response: ServerResponse, raw: string) => {
    const body = JSON.parse(raw) as LlmCall['body'];
    llm.calls.push({ headers: request.headers, body });
    switch (llm.behaviour) {
      case 'unauthorized':
        // Pollinations' own 401 body (issue #15216).
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ success: false, error: { message: 'A valid API key is required.', code: 'UNAUTHORIZED' }, status: 401 }));
        return;
      case 'rate-limited':
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '30' });
        response.end(JSON.stringify({ error: { message: 'Rate limit exceeded, slow down.', type: 'rate_limit' } }));
        return;
      case 'malformed':
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html><body>502 Bad Gateway</body></html>');
        return;
      case 'hang':
        open.add(response);
        return;
      default:
    }
    if (body.stream && llm.behaviour !== 'reply-json-always') {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(chunk({ role: 'assistant', content: '' }));
      const words = llm.reply.split(/(?<= )/);
      if (llm.behaviour === 'stall-mid-stream') {
        response.write(chunk({ content: words[0] }));
        open.add(response);
        return;
      }
      for (const word of words) response.write(chunk({ content: word }));
      response.write(chunk({}, 'stop'));
      response.write(`data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', choices: [], usage: USAGE })}\n\n`);
      response.end('data: [DONE]\n\n');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: 'chatcmpl-up',
        object: 'chat.completion',
        created: 1,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: llm.reply }, finish_reason: 'stop' }],
        usage: USAGE,
      }),
    );
  };

  const server: Server = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (part: string) => (raw += part));
    request.on('end', () => answer(request, response, raw));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  llm.url = `http://127.0.0.1:${port}/v1`;
  llm.close = async () => {
    for (const response of open) response.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return llm;
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
