import { run } from '../../src/util/exec.js';
import { type Etcd, startEtcd } from '../helpers/etcd.js';
import { type HaNode, type HaPair, startHaPair } from '../helpers/hapair.js';
import type { ProgramSpec } from '../helpers/supervisord.js';

// A pair with a witness: etcd in the rig's bridge namespace, two namespace hosts with real
// supervisord, keepalived (VRRPv3, advert 0.1 s, following the set's track file) and agents.
export interface QuorumPair extends HaPair {
  etcd: Etcd;
  // nftables in both hosts' namespaces: drop everything between the two hosts (VRRP and agent
  // traffic), etcd still reachable.
  split(): Promise<void>;
  heal(): Promise<void>;
  // Every packet in and out of one host dropped (its link stays up, keepalived sees no fault).
  isolate(n: HaNode): Promise<void>;
  unisolate(n: HaNode): Promise<void>;
  // etcdctl inside the bridge namespace.
  etcdctl(...args: string[]): Promise<string>;
}

export const PROGRAMS: Record<string, ProgramSpec> = {
  web: { command: '/bin/sleep 100000', stopwaitsecs: 1, priority: 10 },
  worker: { command: '/bin/sleep 100000', stopwaitsecs: 1, priority: 10 },
};

export async function startQuorumPair(
  opts: { quorum?: boolean; ttlMs?: number; requestTimeoutMs?: number; policy?: 'stop' | 'freeze'; programs?: Record<string, ProgramSpec> } = {},
): Promise<QuorumPair> {
  let etcd: Etcd | undefined;
  const programs = opts.programs ?? PROGRAMS;
  const withQuorum = opts.quorum ?? true;
  let pair: HaPair;
  try {
    pair = await startHaPair({
      programs,
      trackFile: true,
      beforeHosts: async (net) => {
        if (withQuorum) etcd = await startEtcd({ net });
      },
      configure: (cfg) => {
        if (!withQuorum || !etcd) return;
        cfg.ha.quorum = {
          endpoints: [etcd.url],
          'lease-ttl-ms': opts.ttlMs ?? 3_000,
          policy: opts.policy ?? 'stop',
          'request-timeout-ms': opts.requestTimeoutMs ?? 300,
          'acquire-wait-ms': 1_000,
        };
      },
    });
  } catch (err) {
    await etcd?.stop();
    throw err;
  }
  const p = pair;
  const nft = (n: HaNode, ...args: string[]) => run('ip', ['netns', 'exec', n.host.ns, 'nft', ...args], { timeoutMs: 5_000 });
  const [a, b] = p.nodes as [HaNode, HaNode];
  return {
    ...p,
    etcd: etcd ?? (undefined as unknown as Etcd),
    async split() {
      for (const [n, peer] of [
        [a, b],
        [b, a],
      ] as const) {
        await nft(n, 'add', 'table', 'inet', 'suphasplit');
        await nft(n, 'add', 'chain', 'inet', 'suphasplit', 'in', '{', 'type', 'filter', 'hook', 'input', 'priority', '0', ';', '}');
        await nft(n, 'add', 'chain', 'inet', 'suphasplit', 'out', '{', 'type', 'filter', 'hook', 'output', 'priority', '0', ';', '}');
        await nft(n, 'add', 'rule', 'inet', 'suphasplit', 'in', 'ip', 'saddr', peer.host.ip, 'drop');
        await nft(n, 'add', 'rule', 'inet', 'suphasplit', 'out', 'ip', 'daddr', peer.host.ip, 'drop');
      }
    },
    async heal() {
      for (const n of [a, b]) await nft(n, 'delete', 'table', 'inet', 'suphasplit').catch(() => {});
    },
    async isolate(n) {
      await nft(n, 'add', 'table', 'inet', 'suphaiso');
      await nft(n, 'add', 'chain', 'inet', 'suphaiso', 'in', '{', 'type', 'filter', 'hook', 'input', 'priority', '0', ';', '}');
      await nft(n, 'add', 'chain', 'inet', 'suphaiso', 'out', '{', 'type', 'filter', 'hook', 'output', 'priority', '0', ';', '}');
      await nft(n, 'add', 'rule', 'inet', 'suphaiso', 'in', 'iifname', 'eth0', 'drop');
      await nft(n, 'add', 'rule', 'inet', 'suphaiso', 'out', 'oifname', 'eth0', 'drop');
    },
    async unisolate(n) {
      await nft(n, 'delete', 'table', 'inet', 'suphaiso').catch(() => {});
    },
    async etcdctl(...args: string[]) {
      return (await run('ip', ['netns', 'exec', p.net.bridgeNs, 'etcdctl', '--endpoints', etcd?.url ?? '', ...args], { timeoutMs: 5_000 })).stdout;
    },
    async destroy() {
      await p.destroy();
      await etcd?.stop();
    },
  };
}

// Reads both supervisords every `everyMs` and adds up the time both ran a program of the set
// (RUNNING, STARTING or STOPPING: a live process) at once.
export class DoubleRunSampler {
  doubleMs = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private last: number | undefined;
  private busy = false;
  // Per node, when it was last seen running / not running the set (performance.now()).
  readonly seen: { running: number | undefined; stopped: number | undefined }[];

  constructor(
    private readonly nodes: HaNode[],
    private readonly names: Set<string>,
    private readonly everyMs = 50,
  ) {
    this.seen = nodes.map(() => ({ running: undefined, stopped: undefined }));
  }

  start(): this {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    return this;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const live = await Promise.all(
        this.nodes.map(async (n) =>
          (
            await n.sv
              .client()
              .getAllProcessInfo()
              .catch(() => [])
          ).some((p) => this.names.has(p.name) && (p.statename === 'RUNNING' || p.statename === 'STARTING' || p.statename === 'STOPPING')),
        ),
      );
      const now = performance.now();
      live.forEach((l, i) => {
        const s = this.seen[i];
        if (s) s[l ? 'running' : 'stopped'] = now;
      });
      if (live.filter(Boolean).length > 1 && this.last !== undefined) this.doubleMs += now - this.last;
      this.last = now;
      this.samples++;
    } finally {
      this.busy = false;
    }
  }

  stop(): number {
    clearInterval(this.timer);
    return Math.round(this.doubleMs);
  }
}
