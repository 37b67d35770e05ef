import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/index.js';
import { UserError } from '../errors.js';
import { checkUrl } from '../health/check.js';
import { checkRound, type NodeRef, nginxOf } from '../health/round.js';

// Waits until every non-backup node of `nodes` has passed `health-passes` checks in a row,
// or throws at `health-deadline-ms`. Every round updates node-health-status.json (backups too).
export async function healthGate(cfg: Config, nodes: NodeRef[], signal?: AbortSignal): Promise<void> {
  const sw = nginxOf(cfg).switch;
  const gated = nodes.filter((n) => !n.node.backup);
  const passes = new Map(gated.map((n) => [n.name, 0]));
  const last = new Map<string, string>();
  const deadline = Date.now() + sw['health-deadline-ms'];
  for (;;) {
    signal?.throwIfAborted();
    for (const e of await checkRound(cfg, nodes, signal)) {
      if (!passes.has(e.ref.name)) continue;
      const ok = e.health['last-response-code'] === 200;
      passes.set(e.ref.name, ok ? (passes.get(e.ref.name) ?? 0) + 1 : 0);
      last.set(e.ref.name, `${e.health['last-response-code']}${e.error ? ` ${e.error}` : ''}`);
    }
    const waiting = gated.filter((n) => (passes.get(n.name) ?? 0) < sw['health-passes']);
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      const names = waiting.map((n) => `${n.name} (last: ${last.get(n.name) ?? 'no answer'})`).join(', ');
      throw new UserError(`not healthy within ${sw['health-deadline-ms']} ms: ${names}`);
    }
    await sleep(sw['check-interval-ms'], undefined, { signal });
  }
}

const passes = (code: number, accept: '2xx' | '2xx-3xx') => code >= 200 && code < (accept === '2xx' ? 300 : 400);

// Watches the new primary's nodes directly and, with verify-url, through Nginx for the
// verification window. A check fails on an answer outside verify-accept, or (with verify-header
// and `checkHeader`) when the node named by that header is not one of `nodes`. More than
// verify-failures failed checks fail the window. Returns the number of rounds.
export async function verifyWindow(cfg: Config, nodes: NodeRef[], signal?: AbortSignal, opts: { checkHeader?: boolean } = {}): Promise<number> {
  const n = nginxOf(cfg);
  const sw = n.switch;
  const end = Date.now() + sw['verify-window-ms'];
  const names = new Set(nodes.map((r) => r.name));
  const header = opts.checkHeader ? sw['verify-header'] : undefined;
  const urls = nodes.filter((r) => !r.node.backup).map((r) => [r.name, r.node['health-check-url'], undefined] as const);
  const all: (readonly [string, string, string | undefined])[] = [...urls];
  if (sw['verify-url']) all.push(['through nginx', sw['verify-url'], header]);
  const failures: string[] = [];
  let rounds = 0;
  do {
    const results = await Promise.all(all.map(([, url, h]) => checkUrl(url, n.health['timeout-ms'], signal, h)));
    results.forEach((r, i) => {
      const [name, url, h] = all[i]!;
      if (!passes(r.code, sw['verify-accept'])) failures.push(`${name} ${url} answered ${r.code}${r.error ? ` (${r.error})` : ''}`);
      else if (h !== undefined && !names.has(r.header ?? ''))
        failures.push(`${name} ${url}: ${h} is ${JSON.stringify(r.header ?? null)}, not a node of the new group`);
    });
    if (failures.length > sw['verify-failures']) {
      const more = failures.length > 1 ? ` (${failures.length} failed checks, verify-failures ${sw['verify-failures']})` : '';
      throw new UserError(`${failures.at(-1)}${more}`);
    }
    rounds++;
    if (Date.now() >= end) break;
    await sleep(Math.min(sw['check-interval-ms'], Math.max(1, end - Date.now())), undefined, { signal });
  } while (Date.now() < end);
  return rounds;
}
