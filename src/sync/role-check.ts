import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errorMessage } from '../errors.js';

// What a peer's agent says about a set: its role, or why we could not ask.
export type PeerRole =
  | { kind: 'role'; role: string; node?: string | undefined }
  // No answer at all (peer or its agent down): does not block a push.
  | { kind: 'unreachable'; error: string }
  // An answer we cannot use (bad token, HTTP error, bad JSON): logged, does not block a push.
  | { kind: 'unknown'; error: string };

// An answer is a few dozen bytes; past this the peer is not a supha agent.
const MAX_BODY = 16_384;

// GET <agent-url>/v1/role?set=S with the cluster's bearer token → {"node","set","role"}, within
// timeoutMs overall (connect, headers and body: a peer that trickles cannot hold a push up).
// NOTE: a fresh connection each time (no keep-alive pool): a pooled socket to an agent that has
// restarted fails as if the peer were unreachable, and unreachable lets the push through.
export function peerRole(agentUrl: string, set: string, token: string | undefined, timeoutMs: number): Promise<PeerRole> {
  const url = new URL('/v1/role', agentUrl);
  url.searchParams.set('set', set);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    const done = (r: PeerRole) => {
      clearTimeout(deadline);
      resolve(r);
    };
    const req = request(url, { method: 'GET', agent: false, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        if (body.length > MAX_BODY) {
          res.destroy();
          done({ kind: 'unknown', error: `${url.origin}: answer over ${MAX_BODY} bytes` });
        }
      });
      res.on('error', (err) => done({ kind: 'unreachable', error: `${url.origin}: ${errorMessage(err)}` }));
      res.on('end', () => done(parse(url.origin, res.statusCode ?? 0, body)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) =>
      done({ kind: 'unreachable', error: `${url.origin}: ${err.code === 'ETIMEDOUT' ? err.message : (err.code ?? err.message)}` }),
    );
    req.end();
  });
}

function parse(origin: string, status: number, body: string): PeerRole {
  if (status !== 200) return { kind: 'unknown', error: `${origin}: HTTP ${status}${status === 401 ? ' (check ha.agent.token-file on both nodes)' : ''}` };
  try {
    const data = JSON.parse(body) as { role?: unknown; node?: unknown };
    if (typeof data.role !== 'string') return { kind: 'unknown', error: `${origin}: answer has no role` };
    return { kind: 'role', role: data.role, node: typeof data.node === 'string' ? data.node : undefined };
  } catch (err) {
    return { kind: 'unknown', error: `${origin}: bad answer: ${errorMessage(err)}` };
  }
}
