/**
 * Server-sent events for POST routes (Nest's @Sse() is GET-only). Data-only frames, as OpenAI sends them: every
 * SDK version parses them, and each payload is one JSON object.
 */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // Tell nginx-style proxies not to buffer the stream.
  'x-accel-buffering': 'no',
} as const;

export function sseFrame(payload: object): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
