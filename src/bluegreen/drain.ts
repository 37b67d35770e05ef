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
  // Process titles, when asked for by `only`.
  titles?: Map<number, string>;
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
  if (only === undefined) return { master, pids };
  const argv = await Promise.all(pids.map((p) => procArgv(p)));
  const titles = new Map(pids.map((p, i) => [p, argv[i]?.[0] ?? '']));
  pids = pids.filter((p) => titles.get(p)?.includes(only));
  return { master, pids, titles };
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

// Socket inode -> remote of established TCP connections to any of `remotes` (IPv4 and v4-mapped IPv6).
async function establishedTo(remotes: Set<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [rem, st, inode] = [f[2] ?? '', f[3], f[9]];
      if (st !== '01' || inode === undefined) continue;
      const v4 = rem.length > 13 ? `${rem.slice(24, 32)}:${rem.slice(-4)}` : rem;
      if (rem.length > 13 && rem.slice(0, 24) !== '0000000000000000FFFF0000') continue;
      if (remotes.has(v4)) out.set(inode, v4);
    }
  }
  return out;
}

// Which of `conns` (inode -> remote) are open in process `pid`.
async function socketsOf(pid: number, conns: Map<string, string>): Promise<[string, string][]> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const out: [string, string][] = [];
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    const remote = inode === undefined ? undefined : conns.get(inode);
    if (inode !== undefined && remote !== undefined) out.push([inode, remote]);
  }
  return out;
}

// Longest `fail_timeout` of the servers in the live upstream, in ms (Nginx's default 10 s); with
// `names`, of those nodes' lines only (supha writes `# name` after each), and none with
// max_fails=0 (never marked).
export async function maxFailTimeoutMs(cfg: Config, names?: string[]): Promise<number> {
  const text = await readFile(nginxTarget(cfg).live, 'utf8').catch(() => '');
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, '': 1000 };
  let max = 0;
  for (const line of text.split('\n')) {
    if (!/^\s*server\s/.test(line)) continue;
    if (names && !names.some((n) => line.trimEnd().endsWith(`# ${n}`))) continue;
    if (/\bmax_fails=0\b/.test(line)) continue;
    const m = /\bfail_timeout=(\d+)(ms|s|m|h|d)?\b/.exec(line);
    max = Math.max(max, m ? Number(m[1]) * (unit[m[2] ?? ''] ?? 1000) : 10_000);
  }
  return max;
}

// both-groups: waits until Nginx sends to `nodes` before the old group stops. A node Nginx tried
// while it was down is skipped for fail_timeout, counted in Nginx's whole seconds (so up to
// fail_timeout + 1 s after that try). When that has run out Nginx tries it once more, and every
// other request skips it until that one is answered — on a new, loaded node that can take
// hundreds of ms, on a JVM seconds — or until fail_timeout has passed again, when it tries once
// more. One open connection from a worker to a new node therefore says nothing: with the old
// group stopped then, requests fall to the backups, and while those are in the same state, to
// no server (502 "no live upstreams": 14 of 3,671 requests in one CI run). Two connections from
// one worker to one node opened less than fail_timeout apart do: two such tries of a skipped
// node are at least fail_timeout apart, so one of the two was an ordinary pick.
// So: until every earlier mark has run out (fail_timeout + 1 s after the new group became
// healthy), then until every worker shows such a pair for some new non-backup node, at most
// max(2 s, 2 x fail_timeout) more (no traffic, or Nginx's connections not visible to us).
// Returns how it ended, for the person watching.
export async function waitNginxOnGroup(cfg: Config, nodes: NodeRef[], healthyAt: number, signal?: AbortSignal): Promise<string> {
  const primaries = nodes.filter((n) => !n.node.backup);
  const remotes = new Set(primaries.flatMap((n) => procAddr(n.node['upstream-url']) ?? []));
  const ft = await maxFailTimeoutMs(
    cfg,
    nodes.map((n) => n.name),
  );
  const expired = healthyAt + ft + 1_100;
  const bound = expired + Math.max(2_000, 2 * ft);
  // The master once per drain (finding it runs nginx -T); its workers at every poll.
  const master = await masterOf(cfg);
  if (Date.now() < expired) await sleep(expired - Date.now(), undefined, { signal });
  // Per worker and node: when each connection was first seen, and the poll before that (it
  // was opened after that poll; before the first poll we cannot say, so -Infinity).
  const opened = new Map<string, { seen: number; after: number }[]>();
  const known = new Set<string>();
  let lastPoll = Number.NEGATIVE_INFINITY;
  for (;;) {
    const w = master === undefined ? undefined : await workersOf(master, 'worker process');
    const pids = (w?.pids ?? []).filter((p) => !w?.titles?.get(p)?.includes('shutting down'));
    const now = Date.now();
    if (pids.length > 0 && remotes.size > 0) {
      const conns = await establishedTo(remotes);
      const sure = new Set<number>();
      for (const p of pids) {
        for (const [inode, remote] of await socketsOf(p, conns)) {
          const key = `${p} ${remote}`;
          if (!known.has(inode)) {
            known.add(inode);
            opened.set(key, [...(opened.get(key) ?? []), { seen: now, after: lastPoll }]);
          }
          const list = opened.get(key) ?? [];
          // Opened less than ft apart: the later one was seen by `now`, the earlier opened after its `after`.
          if (list.some((a, i) => list.slice(i + 1).some((b) => b.seen - a.after < ft))) sure.add(p);
        }
      }
      if (pids.every((p) => sure.has(p))) return `every nginx worker (${pids.length}) is sending to the new group`;
    }
    lastPoll = now;
    if (now >= bound) {
      if (remotes.size === 0)
        return `nginx's marks have run out; cannot see its connections (an upstream-url of ${primaries[0]?.name ?? 'the group'} is not IPv4 host:port)`;
      return "nginx's marks have run out; not every worker seen sending to the new group (no traffic?)";
    }
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
