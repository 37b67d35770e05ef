import { errorMessage } from '../errors.js';

// What a peer's agent says about a set: its role, or why we could not ask.
export type PeerRole =
  | { kind: 'role'; role: string; node?: string | undefined }
  // No answer at all (peer or its agent down): does not block a push.
  | { kind: 'unreachable'; error: string }
  // An answer we cannot use (bad token, HTTP error, bad JSON): logged, does not block a push.
  | { kind: 'unknown'; error: string };

// GET <agent-url>/v1/role?set=S with the cluster's bearer token → {"node","set","role"}.
export async function peerRole(agentUrl: string, set: string, token: string | undefined, timeoutMs: number): Promise<PeerRole> {
  const url = new URL('/v1/role', agentUrl);
  url.searchParams.set('set', set);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.code ?? errorMessage(err));
    return { kind: 'unreachable', error: `${url.origin}: ${why}` };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { kind: 'unknown', error: `${url.origin}: HTTP ${res.status}${res.status === 401 ? ' (check ha.agent.token-file on both nodes)' : ''}` };
  }
  try {
    const body = (await res.json()) as { role?: unknown; node?: unknown };
    if (typeof body.role !== 'string') return { kind: 'unknown', error: `${url.origin}: answer has no role` };
    return { kind: 'role', role: body.role, node: typeof body.node === 'string' ? body.node : undefined };
  } catch (err) {
    return { kind: 'unknown', error: `${url.origin}: bad answer: ${errorMessage(err)}` };
  }
}
