import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/index.js';
import { type NodeRef, nginxOf } from '../health/round.js';
import { childPids, findMaster, nginxTarget } from '../nginx/index.js';
import { procArgv } from '../util/proc.js';
import type { Journal } from './lock.js';

export interface Workers {
  master: number;
  pids: number[];
}

// The master a reload's verification finds (nginx -T's pid, the seed's logs/nginx.pid, ...).
async function masterOf(cfg: Config): Promise<number | undefined> {
  const t = nginxTarget(cfg);
  return findMaster(t.testCmd, t.home, t.pidFile).then(
    (m) => m.pid,
    () => undefined,
  );
}

// The master's children now; `only` keeps those whose title has it ("worker process": no cache
// manager).
async function workersOf(master: number, only?: string): Promise<Workers> {
  let pids = [...(await childPids(master))];
  if (only !== undefined) {
    const titles = await Promise.all(pids.map((p) => procArgv(p)));
    pids = pids.filter((_, i) => titles[i]?.[0]?.includes(only));
  }
  return { master, pids };
}

// Nginx's master and its children now.
export async function nginxWorkers(cfg: Config, only?: string): Promise<Workers | undefined> {
  const master = await masterOf(cfg);
  return master === undefined ? undefined : workersOf(master, only);
}

// Waits until none of `old` is a child of its master any more (old workers finish their
// requests, then exit), at most maxMs. Returns how many are left (0: drained).
export async function waitWorkersGone(old: Workers, maxMs: number, signal?: AbortSignal): Promise<number> {
  const end = Date.now() + maxMs;
  for (;;) {
    const now = await childPids(old.master);
    const left = old.pids.filter((p) => now.has(p)).length;
    if (left === 0 || Date.now() >= end) return left;
    await sleep(Math.min(50, Math.max(1, end - Date.now())), undefined, { signal });
  }
}

// "127.0.0.1:8080" as /proc/net/tcp writes it ("0100007F:1F90"); undefined for a name or IPv6.
export function procAddr(hostPort: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)$/.exec(hostPort.replace(/^https?:\/\//, ''));
  if (!m) return undefined;
  const hex = (n: string, w: number) => Number(n).toString(16).toUpperCase().padStart(w, '0');
  return `${hex(m[4]!, 2)}${hex(m[3]!, 2)}${hex(m[2]!, 2)}${hex(m[1]!, 2)}:${hex(m[5]!, 4)}`;
}

// Socket inodes of established TCP connections to any of `remotes` (IPv4 and v4-mapped IPv6).
async function establishedTo(remotes: Set<string>): Promise<Set<string>> {
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [rem, st, inode] = [f[2] ?? '', f[3], f[9]];
      if (st !== '01' || inode === undefined) continue;
      const v4 = rem.length > 13 ? `${rem.slice(24, 32)}:${rem.slice(-4)}` : rem;
      if (rem.length > 13 && rem.slice(0, 24) !== '0000000000000000FFFF0000') continue;
      if (remotes.has(v4)) out.add(inode);
    }
  }
  return out;
}

// Which of `inodes` are open in process `pid`.
async function socketsOf(pid: number, inodes: Set<string>): Promise<string[]> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const out: string[] = [];
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m && inodes.has(m[1]!)) out.push(m[1]!);
  }
  return out;
}

// Longest `fail_timeout` of the servers in the live upstream, in ms (Nginx's default 10 s).
export async function maxFailTimeoutMs(cfg: Config): Promise<number> {
  const text = await readFile(nginxTarget(cfg).live, 'utf8').catch(() => '');
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, '': 1000 };
  let max = 0;
  for (const line of text.split('\n')) {
    if (!/^\s*server\s/.test(line)) continue;
    const m = /\bfail_timeout=(\d+)(ms|s|m)?\b/.exec(line);
    max = Math.max(max, m ? Number(m[1]) * (unit[m[2] ?? ''] ?? 1000) : 10_000);
  }
  return max;
}

// both-groups: waits until Nginx sends to `nodes` before the old group stops. A node Nginx tried
// while it was down is skipped for fail_timeout, counted in Nginx's whole seconds (so up to
// fail_timeout + 1 s after that try). When it is tried again, every other request skips it until
// that first one has been answered, which on a new, loaded node can take hundreds of ms. So one
// open connection from a worker to a new node does not say the next request goes there: with the
// old group stopped in that window, requests fall to the backups, and while those are in the same
// state, to no server (502 "no live upstreams": 14 of 3,671 requests in one CI run). Waits until
// every earlier mark has run out (fail_timeout + 1 s after the new group became healthy), then
// until every worker has held two connections to the new non-backup servers (the second is
// opened only once the first request was answered), at most one more second. Returns how it
// ended, for the person watching.
export async function waitNginxOnGroup(cfg: Config, nodes: NodeRef[], healthyAt: number, signal?: AbortSignal): Promise<string> {
  const remotes = new Set(nodes.filter((n) => !n.node.backup).flatMap((n) => procAddr(n.node['upstream-url']) ?? []));
  const expired = healthyAt + (await maxFailTimeoutMs(cfg)) + 1_100;
  const bound = expired + 1_000;
  // The master once per drain (finding it runs nginx -T); its workers at every poll.
  const master = await masterOf(cfg);
  const held = new Map<number, Set<string>>();
  if (Date.now() < expired) await sleep(expired - Date.now(), undefined, { signal });
  for (;;) {
    const w = master === undefined ? undefined : await workersOf(master, 'worker process');
    if (w && w.pids.length > 0 && remotes.size > 0) {
      const inodes = await establishedTo(remotes);
      for (const p of w.pids) {
        const seen = held.get(p) ?? new Set<string>();
        for (const i of await socketsOf(p, inodes)) seen.add(i);
        held.set(p, seen);
      }
      if (w.pids.every((p) => (held.get(p)?.size ?? 0) >= 2)) return `every nginx worker (${w.pids.length}) is sending to the new group`;
    }
    if (Date.now() >= bound) return "nginx's fail_timeout has passed since the new group became healthy (not every worker seen sending to it)";
    await sleep(Math.min(20, Math.max(1, bound - Date.now())), undefined, { signal });
  }
}

// Waits before the old group stops: render-primary, for Nginx's old workers to exit (their
// requests done) at most drain-ms; both-groups, until Nginx is seen sending to the new group.
export async function drainOld(cfg: Config, j: Journal, toNodes: NodeRef[], healthyAt: number, signal?: AbortSignal): Promise<string> {
  const t0 = Date.now();
  if (j.mode === 'both-groups') return `${await waitNginxOnGroup(cfg, toNodes, healthyAt, signal)} (${Date.now() - t0} ms)`;
  const max = nginxOf(cfg).switch['drain-ms'];
  if (j['nginx-master'] === undefined || !j['old-workers']) return 'no old nginx worker pids recorded (no pid file): nothing to wait for';
  const left = await waitWorkersGone({ master: j['nginx-master'], pids: j['old-workers'] }, max, signal);
  return left === 0 ? `old nginx workers gone after ${Date.now() - t0} ms` : `${left} old nginx worker(s) still running after drain-ms ${max}; stopping anyway`;
}
