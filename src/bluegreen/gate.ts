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

// Watches the new primary's nodes directly and, with verify-url, through Nginx for the
// verification window: any answer but 200 fails it.
export async function verifyWindow(cfg: Config, nodes: NodeRef[], signal?: AbortSignal): Promise<number> {
  const n = nginxOf(cfg);
  const sw = n.switch;
  const end = Date.now() + sw['verify-window-ms'];
  const urls = nodes.filter((r) => !r.node.backup).map((r) => [r.name, r.node['health-check-url']] as const);
  if (sw['verify-url']) urls.push(['through nginx', sw['verify-url']]);
  let rounds = 0;
  do {
    const results = await Promise.all(urls.map(([, url]) => checkUrl(url, n.health['timeout-ms'], signal)));
    results.forEach((r, i) => {
      const [name, url] = urls[i]!;
      if (r.code !== 200) throw new UserError(`${name} ${url} answered ${r.code}${r.error ? ` (${r.error})` : ''}`);
    });
    rounds++;
    if (Date.now() >= end) break;
    await sleep(Math.min(sw['check-interval-ms'], Math.max(1, end - Date.now())), undefined, { signal });
  } while (Date.now() < end);
  return rounds;
}
