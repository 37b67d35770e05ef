import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../util/log.js';
import type { Role } from './module.js';

export interface HttpApi {
  node: string;
  status(): unknown;
  metrics(): string;
  roleOf(set: string): Role | undefined;
}

function tokenOk(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const got = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  // NOTE: compare equal lengths so the time spent does not depend on where they differ.
  return got.length === want.length && timingSafeEqual(got, want);
}

function send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// The agent's HTTP API: GET /status (JSON), /metrics (Prometheus text, no token),
// /v1/role?set=NAME (the peers' split-brain check). With a token, every other path needs it.
export async function startHttpServer(listen: string, token: string | undefined, api: HttpApi, log: Logger): Promise<Server> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(i + 1));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (req.method !== 'GET') return send(res, 405, { error: 'only GET' });
    if (url.pathname === '/metrics') return send(res, 200, api.metrics(), 'text/plain; version=0.0.4');
    if (!tokenOk(req, token)) {
      log.warn({ path: url.pathname, remote: req.socket.remoteAddress }, 'http: request without a valid token refused');
      return send(res, 401, { error: 'missing or wrong bearer token' });
    }
    if (url.pathname === '/status') return send(res, 200, api.status());
    if (url.pathname === '/v1/role') {
      const set = url.searchParams.get('set') ?? '';
      const role = api.roleOf(set);
      if (role === undefined) return send(res, 404, { error: `no service set "${set}"` });
      return send(res, 200, { node: api.node, set, role });
    }
    return send(res, 404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
