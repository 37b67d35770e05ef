import { randomBytes } from 'node:crypto';
import { run } from '../../src/util/exec.js';

// Network namespaces for multi-host tests: one bridge namespace and N hosts joined to it by veth
// pairs. Addresses only in 198.18.0.0/15; names unique per run; reached only from inside.
export interface Host {
  ns: string;
  // eth0 inside the host namespace, 198.18.0.(10+i)/24
  ip: string;
  // the bridge port for this host, inside the bridge namespace
  port: string;
}

export interface NetRig {
  prefix: string;
  bridgeNs: string;
  hosts: Host[];
  // argv prefix to run a command inside a host namespace
  wrap(host: Host): string[];
  exec(host: Host, argv: string[], timeoutMs?: number): Promise<string>;
  cut(host: Host): Promise<void>;
  restore(host: Host): Promise<void>;
  destroy(): Promise<void>;
}

const ip = (args: string[]) => run('ip', args, { timeoutMs: 10_000 });

export const SUBNET = '198.18.0';

// `prefix` (default: random) names every namespace `<prefix>-…`, so a caller that may be killed
// can tell its own namespaces from other runs' and delete them (scripts/demo.sh does).
export async function createNetRig(count: number, prefix = `sh${randomBytes(3).toString('hex')}`): Promise<NetRig> {
  const bridgeNs = `${prefix}-br`;
  const hosts: Host[] = [];
  const made: string[] = [];
  const destroy = async () => {
    for (const ns of [...made].reverse()) await ip(['netns', 'del', ns]).catch(() => {});
  };
  try {
    await ip(['netns', 'add', bridgeNs]);
    made.push(bridgeNs);
    await ip(['-n', bridgeNs, 'link', 'set', 'lo', 'up']);
    await ip(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    for (let i = 1; i <= count; i++) {
      const ns = `${prefix}-h${i}`;
      await ip(['netns', 'add', ns]);
      made.push(ns);
      const port = `p${i}`;
      // Both ends are made inside namespaces: nothing appears in the machine's own namespace.
      await ip(['-n', bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['-n', bridgeNs, 'link', 'set', port, 'master', 'br0']);
      await ip(['-n', bridgeNs, 'link', 'set', port, 'up']);
      const addr = `${SUBNET}.${10 + i}`;
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      hosts.push({ ns, ip: addr, port });
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    prefix,
    bridgeNs,
    hosts,
    wrap: (h) => ['ip', 'netns', 'exec', h.ns],
    exec: async (h, argv, timeoutMs = 10_000) => (await run('ip', ['netns', 'exec', h.ns, ...argv], { timeoutMs })).stdout,
    cut: async (h) => {
      await ip(['-n', bridgeNs, 'link', 'set', h.port, 'down']);
    },
    restore: async (h) => {
      await ip(['-n', bridgeNs, 'link', 'set', h.port, 'up']);
    },
    destroy,
  };
}
