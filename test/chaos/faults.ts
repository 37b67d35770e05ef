import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../src/util/exec.js';
import { startKeepalived } from '../helpers/keepalived.js';
import { startSupervisord } from '../helpers/supervisord.js';
import type { Checker } from './checker.js';
import { descendants } from './observe.js';
import type { Prng } from './prng.js';
import type { ChaosHost, ChaosRig } from './rig.js';

export interface FaultContext {
  rig: ChaosRig;
  checker: Checker;
  rng: Prng;
  // agents the harness killed on purpose (an agent that exits otherwise is a finding)
  killedAgents: Set<number>;
}

export interface Fault {
  name: string;
  // Applies the fault and undoes it; returns what it did, in one line.
  apply(ctx: FaultContext, h: ChaosHost): Promise<string>;
}

const kill = (pid: number, sig: NodeJS.Signals) => {
  try {
    if (pid > 0) process.kill(pid, sig);
  } catch {}
};

async function network(ctx: FaultContext, what: string, on: () => Promise<void>, off: () => Promise<void>): Promise<string> {
  const ms = ctx.rng.int(500, 2500);
  ctx.checker.excuse('double', '*', Number.POSITIVE_INFINITY);
  try {
    await on().catch(async (err: unknown) => {
      await off().catch(() => {});
      throw err;
    });
    await sleep(ms);
    await off();
  } finally {
    ctx.checker.excuse('double', '*', ctx.checker.now());
  }
  return `${what} for ${ms} ms`;
}

export const FAULTS: Fault[] = [
  {
    name: 'link-cut',
    apply: (ctx, h) =>
      network(
        ctx,
        `link of ${h.name} cut`,
        () => ctx.rig.net.cut(h.host),
        () => ctx.rig.net.restore(h.host),
      ),
  },
  {
    name: 'vrrp-block',
    // One way: h stops hearing its peer's adverts (nftables inside h's namespace); the peer
    // still hears h.
    apply: (ctx, h) => {
      const table = `${ctx.rig.net.prefix}chaos`;
      const nft = (...args: string[]) => run('ip', ['netns', 'exec', h.host.ns, 'nft', ...args], { timeoutMs: 5_000 });
      return network(
        ctx,
        `VRRP into ${h.name} dropped`,
        async () => {
          await nft('add', 'table', 'inet', table);
          await nft('add', 'chain', 'inet', table, 'input', '{', 'type', 'filter', 'hook', 'input', 'priority', '0', ';', '}');
          await nft('add', 'rule', 'inet', table, 'input', 'ip', 'protocol', 'vrrp', 'drop');
        },
        () => nft('delete', 'table', 'inet', table).then(() => {}),
      );
    },
  },
  {
    name: 'kill-keepalived',
    async apply(ctx, h) {
      const ms = ctx.rng.int(200, 2000);
      await h.ka?.kill9();
      await sleep(ms);
      h.ka = await startKeepalived(h.kaOpts);
      return `kill -9 keepalived on ${h.name}, restarted after ${ms} ms`;
    },
  },
  {
    name: 'kill-agent',
    async apply(ctx, h) {
      const ms = ctx.rng.int(100, 2000);
      const a = h.agent;
      if (a) {
        ctx.killedAgents.add(a.pid);
        a.child.kill('SIGKILL');
        await a.stop();
      }
      await sleep(ms);
      await h.startAgent();
      return `kill -9 agent on ${h.name}, restarted after ${ms} ms`;
    },
  },
  {
    name: 'kill-supervisord',
    // As systemd's control-group kill: supervisord and every process it started, at once.
    async apply(ctx, h) {
      const ms = ctx.rng.int(200, 2000);
      ctx.checker.excuse('none', '*', Number.POSITIVE_INFINITY);
      try {
        const pids = [h.sv.pid, ...(await descendants(h.sv.pid))];
        for (const p of pids) kill(p, 'SIGSTOP');
        for (const p of pids) kill(p, 'SIGKILL');
        await h.sv.stop();
        await sleep(ms);
        h.sv = await startSupervisord(h.svOpts);
      } finally {
        ctx.checker.excuse('none', '*', ctx.checker.now());
      }
      return `kill -9 supervisord (and its children) on ${h.name}, restarted after ${ms} ms`;
    },
  },
  {
    name: 'stop-supervisord',
    async apply(ctx, h) {
      const ms = ctx.rng.int(300, 3000);
      kill(h.sv.pid, 'SIGSTOP');
      try {
        await sleep(ms);
      } finally {
        kill(h.sv.pid, 'SIGCONT');
      }
      return `SIGSTOP supervisord on ${h.name} for ${ms} ms`;
    },
  },
  {
    name: 'kill-rsyncd',
    async apply(ctx, h) {
      const ms = ctx.rng.int(200, 3000);
      kill(h.rsyncd.pid, 'SIGKILL');
      await sleep(ms);
      await h.rsyncd.start();
      return `kill -9 rsync daemon on ${h.name}, restarted after ${ms} ms`;
    },
  },
];
