import { timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { UserError } from '../../errors.js';

// The bearer token of the HTTP API, from ha.agent.token-file: it must exist, be non-empty and
// be readable by its owner only (mode 0600 or stricter), as it lets a client hold sets.
export async function readToken(path: string): Promise<string> {
  const what = `ha.agent.token-file ${path}`;
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`${what}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`);
  });
  if (!st.isFile()) throw new UserError(`${what}: not a regular file`);
  if ((st.mode & 0o077) !== 0) throw new UserError(`${what}: mode ${(st.mode & 0o777).toString(8)} lets others read it; chmod 600 ${path}`);
  const token = (await readFile(path, 'utf8')).trim();
  if (token === '') throw new UserError(`${what}: empty`);
  return token;
}

// True when the request carries `Authorization: Bearer <token>` (or no token is configured).
export function tokenOk(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const got = Buffer.from(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  // NOTE: compare equal lengths so the time spent does not depend on where they differ.
  return got.length === want.length && timingSafeEqual(got, want);
}
