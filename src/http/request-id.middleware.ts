import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** A caller's id is kept when it looks like an id (so it can be traced through proxies); anything else is replaced. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Every response carries `x-request-id`; the SDK exposes it as `_request_id`. */
export function requestId(request: Request, response: Response, next: NextFunction): void {
  const incoming = request.header('x-request-id');
  const id = incoming && SAFE_ID.test(incoming) ? incoming : `req_${randomUUID().replace(/-/g, '')}`;
  (request as Request & { id: string }).id = id;
  response.setHeader('x-request-id', id);
  next();
}
