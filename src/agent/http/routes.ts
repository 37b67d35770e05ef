import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Role } from '../module.js';
import type { ControlRequest, ControlResponse } from '../protocol.js';
import type { StatusView } from '../status-view.js';
import { tokenOk } from './auth.js';
import { HttpError, optString, readJsonBody } from './body.js';
import { renderFragment, renderPage } from './page.js';
import { type Handler, send } from './server.js';

// What the HTTP API needs of the agent.
export interface HttpApi {
  node: string;
  status(): Promise<StatusView>;
  metrics(): Promise<{ contentType: string; text: string }>;
  roleOf(set: string): Role | undefined;
  // The control socket's handler: POSTs are the same operations.
  control(req: ControlRequest): Promise<ControlResponse>;
}

type Post = (body: Record<string, unknown>) => ControlRequest;

// The CLI's state-changing actions, as POST with a JSON body.
const POSTS: Record<string, Post> = {
  '/hold': (b) => {
    const reason = optString(b, 'reason');
    if (reason === undefined) throw new HttpError(400, '"reason" is required');
    const set = optString(b, 'set', 200);
    return set === undefined ? { op: 'hold', reason } : { op: 'hold', set, reason };
  },
  '/release': (b) => withSet({ op: 'release' }, b),
  '/sync/pause': (b) => withSet({ op: 'sync', action: 'pause' }, b),
  '/sync/resume': (b) => withSet({ op: 'sync', action: 'resume' }, b),
};

function withSet<T extends ControlRequest>(req: T, b: Record<string, unknown>): T {
  const set = optString(b, 'set', 200);
  return set === undefined ? req : { ...req, set };
}

// GET /healthz and /metrics answer anyone; everything else needs the bearer token when one is set.
export function routes(api: HttpApi, token: string | undefined, maxBody: number): Handler {
  const auth = (req: IncomingMessage) => {
    if (!tokenOk(req, token)) throw new HttpError(401, 'missing or wrong bearer token');
  };
  return async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => {
    const post = POSTS[path];
    if (post !== undefined) {
      if (req.method !== 'POST') throw new HttpError(405, `${path}: only POST`);
      auth(req);
      const op = post(await readJsonBody(req, maxBody));
      const r = await api.control(op);
      if (r.ok) return send(res, 200, r);
      throw new HttpError(/^no service set/.test(r.error) ? 404 : 400, r.error);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${path}: only GET`);
    if (path === '/healthz') return send(res, 200, { ok: true, node: api.node });
    if (path === '/metrics') {
      const m = await api.metrics();
      return send(res, 200, m.text, m.contentType);
    }
    if (path === '/') {
      // The page itself asks for the token (kept in the browser's session) when one is needed.
      const authed = tokenOk(req, token);
      return send(res, 200, renderPage(authed ? await api.status() : undefined, api.node), 'text/html; charset=utf-8');
    }
    auth(req);
    if (path === '/status') return send(res, 200, await api.status());
    if (path === '/status.html') return send(res, 200, renderFragment(await api.status()), 'text/html; charset=utf-8');
    if (path === '/v1/role') {
      const set = query.get('set') ?? '';
      const role = api.roleOf(set);
      if (role === undefined) throw new HttpError(404, `no service set "${set.slice(0, 100)}"`);
      return send(res, 200, { node: api.node, set, role });
    }
    throw new HttpError(404, 'not found');
  };
}
