import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// True when the request carries `Authorization: Bearer <token>` (or no token is configured).
export function tokenOk(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const got = Buffer.from(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  // NOTE: compare equal lengths so the time spent does not depend on where they differ.
  return got.length === want.length && timingSafeEqual(got, want);
}
