import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError } from './openai-error';

const ANSWERS: Record<string, { status: number; reason: string; message: string; code: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', message: 'The request line or headers are too large.', code: 'request_too_large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', message: 'The request was not received in time.', code: 'timeout' },
};
const MALFORMED = { status: 400, reason: 'Bad Request', message: 'The HTTP request is malformed.', code: 'invalid_request' };

/**
 * Node answers a request it cannot parse (a URL or headers over its limit, broken framing) by itself, with an empty
 * body, before Express sees it. This answers those in OpenAI's error envelope too, so a client's error handling
 * works for every 4xx this server sends.
 */
export function answerUnparseableRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A connection the client already dropped, or one whose response has begun, cannot take an answer.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, reason, message, code } = ANSWERS[error.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify(new ApiError(status, message, 'invalid_request_error', null, code).toBody());
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
