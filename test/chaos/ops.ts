import { createHash } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { run } from '../../src/util/exec.js';
import type { FaultContext } from './faults.js';
import { filesUnder } from './observe.js';
import { CHURN, type ChaosHost, type ChaosRig, SET_NAMES, type SetName, setConf } from './rig.js';

export const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

// What the harness knows about every conf it wrote: where the operator left it, and every content
// that must still exist somewhere (registry, replica, parked store or kept history).
export class ConfLedger {
  state = new Map<string, { where: 'registry' | 'parked' | 'absent'; content: string; parkedOn?: string }>();
  expected = new Map<string, string>();
  private version = 0;

  constructor(marker: string) {
    for (const s of SET_NAMES) {
      for (const n of [0, ...CHURN]) {
        const content = setConf(marker, `${s}${n}`, 0);
        this.state.set(`${s}${n}`, { where: 'registry', content });
        this.expected.set(sha(content), `${s}${n} v0`);
      }
    }
  }

  nextVersion(): number {
    return ++this.version;
  }

  // Expected contents found in no file under any host's temp dir.
  async missing(rig: ChaosRig): Promise<string[]> {
    const seen = new Set<string>();
    for (const h of rig.hosts) {
      for (const f of await filesUnder(h.dir)) {
        const buf = await readFile(f).catch(() => undefined);
        if (buf && buf.length < 65_536) seen.add(sha(buf));
      }
    }
    return [...this.expected].filter(([hash]) => !seen.has(hash)).map(([, what]) => what);
  }
}

export interface OpContext extends FaultContext {
  ledger: ConfLedger;
  paused: Map<SetName, ChaosHost>;
}

async function cli(ctx: OpContext, h: ChaosHost, bin: 'supha' | 'supzcli', args: string[], timeoutMs = 30_000): Promise<string> {
  const [file, ...rest] = ctx.rig.cli(h, bin, args);
  const r = await run(file ?? 'ip', rest, { timeoutMs, reject: false }).catch((err: unknown) => ({ exitCode: -1, stdout: '', stderr: String(err) }));
  const said = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
  return `exit ${r.exitCode}${r.exitCode === 0 ? '' : `: ${said.slice(0, 200)}`}`;
}

// The host holding a set's VIP alone, if there is one.
function holder(ctx: OpContext, set: SetName): ChaosHost | undefined {
  const hosts = ctx.checker.holderOf(set).hosts;
  return hosts.length === 1 ? ctx.rig.hosts.find((h) => h.name === hosts[0]) : undefined;
}

type Op = (ctx: OpContext) => Promise<string | undefined>;

const churnIn = (ctx: OpContext, where: 'registry' | 'parked' | 'absent') =>
  [...ctx.ledger.state].filter(([name, st]) => st.where === where && !name.endsWith('0')).map(([name]) => name);

export const OPS: Record<string, Op> = {
  async 'supzcli-stop'(ctx) {
    const names = churnIn(ctx, 'registry');
    if (names.length === 0) return undefined;
    const name = ctx.rng.pick(names);
    const h = holder(ctx, name.slice(0, 1) as SetName);
    if (!h) return undefined;
    const r = await cli(ctx, h, 'supzcli', ['stop', name]);
    const st = ctx.ledger.state.get(name);
    if (st && r === 'exit 0') Object.assign(st, { where: 'parked', parkedOn: h.name });
    return `supzcli stop ${name} on ${h.name}: ${r}`;
  },
  async 'supzcli-start'(ctx) {
    const names = churnIn(ctx, 'parked');
    if (names.length === 0) return undefined;
    const name = ctx.rng.pick(names);
    const st = ctx.ledger.state.get(name);
    const h = ctx.rig.hosts.find((x) => x.name === st?.parkedOn);
    if (!st || !h) return undefined;
    const r = await cli(ctx, h, 'supzcli', ['start', name]);
    if (r === 'exit 0') Object.assign(st, { where: 'registry', parkedOn: undefined });
    return `supzcli start ${name} on ${h.name}: ${r}`;
  },
  // An operator edits a registry by hand: on the set's MASTER, or now and then (a mistake) on
  // the other host, whose copy the next push overwrites (kept history must keep it).
  async 'registry-edit'(ctx) {
    const names = [...churnIn(ctx, 'registry'), ...churnIn(ctx, 'absent')];
    if (names.length === 0) return undefined;
    const name = ctx.rng.pick(names);
    const set = name.slice(0, 1) as SetName;
    const master = holder(ctx, set);
    if (!master) return undefined;
    const wrongHost = ctx.rng.chance(0.15);
    const h = wrongHost ? ctx.rig.hosts.find((x) => x !== master) : master;
    const st = ctx.ledger.state.get(name);
    if (!h || !st) return undefined;
    const path = join(h.registry[set], `${name}.conf`);
    if (st.where === 'registry' && !wrongHost && ctx.rng.chance(0.3)) {
      await unlink(path).catch(() => {});
      ctx.ledger.expected.delete(sha(st.content));
      Object.assign(st, { where: 'absent' });
      return `rm ${name}.conf in ${h.name}'s registry of ${set}`;
    }
    const v = ctx.ledger.nextVersion();
    const content = setConf(ctx.rig.marker, name, v);
    await writeFileAtomic(path, content);
    ctx.ledger.expected.set(sha(content), `${name} v${v}${wrongHost ? ' (written on the BACKUP)' : ''}`);
    if (!wrongHost) {
      if (st.where === 'registry') ctx.ledger.expected.delete(sha(st.content));
      Object.assign(st, { where: 'registry', content });
    }
    return `${st.where === 'registry' ? 'edit' : 'add'} ${name}.conf v${v} in ${h.name}'s registry of ${set}${wrongHost ? ' (the BACKUP: a mistake)' : ''}`;
  },
  async 'sync-pause'(ctx) {
    const set = ctx.rng.pick(SET_NAMES);
    const paused = ctx.paused.get(set);
    if (paused) {
      ctx.paused.delete(set);
      return `sync resume --set ${set} on ${paused.name}: ${await cli(ctx, paused, 'supha', ['sync', 'resume', '--set', set])}`;
    }
    const h = ctx.rng.pick(ctx.rig.hosts);
    ctx.paused.set(set, h);
    return `sync pause --set ${set} on ${h.name}: ${await cli(ctx, h, 'supha', ['sync', 'pause', '--set', set])}`;
  },
  // A hold on the set's MASTER for a while, then released: transitions meanwhile are not acted on.
  async hold(ctx) {
    const set = ctx.rng.pick(SET_NAMES);
    const h = holder(ctx, set) ?? ctx.rng.pick(ctx.rig.hosts);
    const ms = ctx.rng.int(300, 2000);
    ctx.checker.excuse('double', set, Number.POSITIVE_INFINITY);
    ctx.checker.excuse('none', set, Number.POSITIVE_INFINITY);
    const a = await cli(ctx, h, 'supha', ['hold', '--set', set, '--reason', 'chaos']);
    await sleep(ms);
    const b = await cli(ctx, h, 'supha', ['release', '--set', set]);
    ctx.checker.excuse('double', set, ctx.checker.now());
    ctx.checker.excuse('none', set, ctx.checker.now());
    return `hold --set ${set} on ${h.name} (${a}) for ${ms} ms, release (${b})`;
  },
  async switch(ctx) {
    const h = ctx.rig.hosts.find((x) => x.nginx);
    if (!h) return undefined;
    return `supha switch on ${h.name}: ${await cli(ctx, h, 'supha', ['switch'], 90_000)}`;
  },
};

// Ends what an operator op left on: sync pauses.
export async function undoOps(ctx: OpContext): Promise<string[]> {
  const out: string[] = [];
  for (const [set, h] of ctx.paused) out.push(`sync resume --set ${set} on ${h.name}: ${await cli(ctx, h, 'supha', ['sync', 'resume', '--set', set])}`);
  ctx.paused.clear();
  return out;
}
