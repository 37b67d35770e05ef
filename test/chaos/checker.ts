import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../src/util/exec.js';
import { addresses, aliveOn } from './observe.js';
import { CHURN, type ChaosRig, SET_NAMES, SETS, type SetName } from './rig.js';

export interface Episode {
  kind: 'double-run' | 'none-run' | 'bad-upstream';
  what: string;
  atMs: number;
  countedMs: number;
}

export interface CheckerOptions {
  // keepalived's detection window plus the agent's reaction: a double run this short is allowed.
  windowMs: number;
  // failover time: a set may run nowhere this long after its MASTER settled or a fault ended.
  failoverMs: number;
  sampleMs: number;
}

const setOf = (program: string) => program.slice(0, 1) as SetName;

// Samples both hosts every sampleMs over XML-RPC and counts the invariants' breaches:
// ms a set program ran on both hosts beyond the window, ms a set ran nowhere once its MASTER was
// settled (beyond the failover time), live upstream files failing `nginx -t`.
export class Checker {
  doubleMs = 0;
  noneMs = 0;
  badUpstream = 0;
  episodes: Episode[] = [];
  samples = 0;
  private readonly t0 = Date.now();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly names: Set<string>;
  private holders: Record<SetName, { hosts: string; since: number }>;
  private doubleSince = new Map<string, number>();
  private noneSince = new Map<SetName, number>();
  // Until when a breach is excused: network faults excuse double runs (keepalived alone cannot
  // avoid them while the hosts cannot see each other); a hold or a supervisord fault excuses
  // a set's none-run on that host.
  private doubleExcuse = new Map<SetName | '*', number>();
  private noneExcuse = new Map<SetName | '*', number>();
  private lastUpstream = '';

  constructor(
    private readonly rig: ChaosRig,
    private readonly opts: CheckerOptions,
  ) {
    this.names = new Set(SET_NAMES.flatMap((s) => [0, ...CHURN].map((n) => `${s}${n}`)));
    const now = Date.now();
    this.holders = { a: { hosts: '', since: now }, b: { hosts: '', since: now } };
  }

  now(): number {
    return Date.now() - this.t0;
  }

  // A breach of `kind` in `set` (or every set) is excused until `untilMs` (checker time; Infinity
  // while a fault lasts), and for the window (double run) or failover time (none-run) after it.
  excuse(kind: 'double' | 'none', set: SetName | '*', untilMs: number): void {
    (kind === 'double' ? this.doubleExcuse : this.noneExcuse).set(set, untilMs);
  }

  private excuseEnd(map: Map<SetName | '*', number>, set: SetName): number {
    return Math.max(map.get('*') ?? 0, map.get(set) ?? 0);
  }

  start(): void {
    this.loops.push(this.sampleLoop(), this.vipLoop(), this.upstreamLoop());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  // The hosts holding each set's VIP, and since when that has not changed.
  holderOf(set: SetName): { hosts: string[]; settledMs: number } {
    const h = this.holders[set];
    return { hosts: h.hosts ? h.hosts.split(',') : [], settledMs: Date.now() - h.since };
  }

  private async vipLoop(): Promise<void> {
    while (!this.stopped) {
      const addrs = await Promise.all(this.rig.hosts.map((h) => addresses(h).catch(() => new Set<string>())));
      for (const set of SET_NAMES) {
        const hosts = this.rig.hosts.filter((_, i) => addrs[i]?.has(SETS[set].vip)).map((h) => h.name);
        const key = hosts.join(',');
        if (key !== this.holders[set].hosts) this.holders[set] = { hosts: key, since: Date.now() };
      }
      await sleep(100);
    }
  }

  private async sampleLoop(): Promise<void> {
    let last = Date.now();
    while (!this.stopped) {
      const started = Date.now();
      const views = await Promise.all(this.rig.hosts.map((h) => aliveOn(h, this.rig.marker, this.names)));
      const now = Date.now();
      const dt = now - last;
      last = now;
      this.samples++;
      const at = this.now();
      for (const p of this.names) {
        const on = views.filter((v) => v.alive.has(p)).length;
        const set = setOf(p);
        if (on >= 2) {
          const since = this.doubleSince.get(p) ?? at;
          this.doubleSince.set(p, since);
          const excuseEnd = this.excuseEnd(this.doubleExcuse, set);
          if (at >= excuseEnd && at - Math.max(since, excuseEnd) > this.opts.windowMs) this.count('double-run', p, at, dt);
        } else this.doubleSince.delete(p);
      }
      for (const set of SET_NAMES) {
        const running = [...this.names].some((p) => setOf(p) === set && views.some((v) => v.alive.has(p)));
        if (running) {
          this.noneSince.delete(set);
          continue;
        }
        const since = this.noneSince.get(set) ?? at;
        this.noneSince.set(set, since);
        const holder = this.holderOf(set);
        if (holder.hosts.length !== 1) continue;
        const settledAt = at - holder.settledMs;
        const excuseEnd = this.excuseEnd(this.noneExcuse, set);
        if (at < excuseEnd) continue;
        if (at - Math.max(since, settledAt, excuseEnd) > this.opts.failoverMs) this.count('none-run', set, at, dt);
      }
      await sleep(Math.max(0, this.opts.sampleMs - (Date.now() - started)));
    }
  }

  private count(kind: 'double-run' | 'none-run', what: string, at: number, dt: number): void {
    if (kind === 'double-run') this.doubleMs += dt;
    else this.noneMs += dt;
    const open = this.episodes.findLast((e) => e.kind === kind && e.what === what);
    if (open && at - (open.atMs + open.countedMs) <= dt + this.opts.sampleMs * 4) open.countedMs += dt;
    else this.episodes.push({ kind, what, atMs: at, countedMs: dt });
  }

  // Tests the live upstream each time its content changes, with the rig's own `nginx -t`.
  private async upstreamLoop(): Promise<void> {
    const h = this.rig.hosts.find((x) => x.nginx);
    const nginx = h?.nginx;
    if (!h || !nginx) return;
    while (!this.stopped) {
      const text = await readFile(nginx.upstreamPath, 'utf8').catch(() => '<missing>');
      if (text !== this.lastUpstream) {
        this.lastUpstream = text;
        const [file, ...args] = nginx.testCmd.split(' ');
        const r = await run(file ?? 'nginx', args, { timeoutMs: 10_000, reject: false });
        if (r.exitCode !== 0 || text === '<missing>') {
          this.badUpstream++;
          this.episodes.push({ kind: 'bad-upstream', what: `${r.stderr.trim().split('\n').pop()}`, atMs: this.now(), countedMs: 0 });
        }
      }
      await sleep(50);
    }
  }
}
