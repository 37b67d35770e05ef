import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentProc, startAgent } from './agent.js';
import { supha } from './cli.js';
import { type Keepalived, startKeepalived } from './keepalived.js';
import { createNetRig, type Host, type NetRig, SUBNET } from './netns.js';
import { type Rsyncd, startRsyncd } from './rsyncd.js';
import { type Supervisord, startSupervisord } from './supervisord.js';
import { tempDir, writeJson } from './tmp.js';

export const SET = 'apps';
export const INSTANCE = 'VI_APPS';

export interface SyncNode {
  name: string;
  host: Host;
  dir: string;
  registry: string;
  cfgPath: string;
  socket: string;
  sv: Supervisord;
  rsyncd: Rsyncd;
  ka: Keepalived | undefined;
  agent: AgentProc | undefined;
  startAgent(env?: Record<string, string>): Promise<AgentProc>;
  // `supha notify INSTANCE VI_APPS <role>` to this node's agent, as keepalived's notify script would.
  setRole(role: 'MASTER' | 'BACKUP'): Promise<void>;
  sync(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  syncStatus(): Promise<any>;
}

export interface SyncPair {
  net: NetRig;
  nodes: SyncNode[];
  destroy(): Promise<void>;
}

// Two hosts in network namespaces joined by a bridge, each with a real supervisord (its [include]
// covers the set's registry), a real rsync daemon on its address serving the registries' parent
// folder, a real keepalived and a real `supha agent` whose HTTP API listens on its address.
// keepalived runs an instance no set follows: it only makes "keepalived alive" true, so roles
// come from `supha notify` and stay where the test puts them.
export async function startSyncPair(): Promise<SyncPair> {
  const net = await createNetRig(2);
  const nodes: SyncNode[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const destroy = async () => {
    for (const n of nodes) await n.agent?.stop().catch(() => {});
    for (const n of nodes) await n.ka?.stop().catch(() => {});
    for (const n of nodes) await n.rsyncd?.stop().catch(() => {});
    for (const n of nodes) await n.sv?.stop().catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await net.destroy();
  };
  try {
    const parts: { host: Host; dir: string; registry: string; sv: Supervisord; rsyncd: Rsyncd }[] = [];
    for (const [i, host] of net.hosts.entries()) {
      const tmp = await tempDir(`supha-sync${i + 1}-`);
      cleanups.push(tmp.cleanup);
      const registry = join(tmp.dir, 'registry', SET);
      await mkdir(registry, { recursive: true });
      const sv = await startSupervisord({ dir: join(tmp.dir, 'sv'), include: [join(registry, '*.conf')], wrap: net.wrap(host) });
      const rsyncd = await startRsyncd({ path: join(tmp.dir, 'registry'), netns: host.ns, address: host.ip, port: 873 });
      parts.push({ host, dir: tmp.dir, registry, sv, rsyncd });
    }
    for (const [i, p] of parts.entries()) {
      const other = parts[1 - i];
      if (!other) throw new Error('two hosts expected');
      const name = `node${i + 1}`;
      const cfgPath = join(p.dir, 'config.json');
      const fifo = join(p.dir, 'ka.fifo');
      const socket = join(p.dir, 'state', 'agent.sock');
      await writeFile(join(p.dir, 'token'), 'pair-token\n', { mode: 0o600 });
      await writeJson(cfgPath, {
        'project-name': 'sync-pair',
        'state-dir': 'state',
        supervisor: { 'server-url': p.sv.url, 'registry-dirs': [] },
        ha: {
          'node-name': name,
          keepalived: { 'notify-fifo': fifo, 'pid-file': join(p.dir, 'keepalived.pid') },
          'service-sets': { [SET]: { 'vrrp-instance': INSTANCE, registry: p.registry } },
          peers: {
            [`node${2 - i}`]: { 'agent-url': `http://${other.host.ip}:7373`, 'sync-target': other.rsyncd.url, 'password-file': other.rsyncd.passwordFile },
          },
          sync: { 'retry-min-ms': 100, 'retry-max-ms': 500, 'timeout-ms': 3_000, 'role-check-timeout-ms': 500 },
          agent: { listen: `${p.host.ip}:7373`, 'token-file': 'token', 'reconcile-interval-ms': 300 },
        },
      });
      const node: SyncNode = {
        name,
        ...p,
        cfgPath,
        socket,
        ka: undefined,
        agent: undefined,
        async startAgent(env) {
          this.agent = await startAgent(cfgPath, socket, { prefix: net.wrap(p.host), ...(env ? { env } : {}) });
          return this.agent;
        },
        async setRole(role) {
          const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', INSTANCE, role, '100']);
          if (r.code !== 0) throw new Error(`supha notify failed: ${r.stderr}`);
        },
        sync: (...args) => supha(['--config', cfgPath, 'sync', ...args]),
        async syncStatus() {
          const r = await supha(['--config', cfgPath, 'sync', 'status', '--json']);
          if (r.code !== 0) throw new Error(`supha sync status failed: ${r.stderr}`);
          return JSON.parse(r.stdout).sets[SET];
        },
      };
      nodes.push(node);
      // The agent first: it creates the FIFO keepalived writes.
      await node.startAgent();
    }
    for (const [i, n] of nodes.entries()) {
      n.ka = await startKeepalived({
        dir: n.dir,
        wrap: net.wrap(n.host),
        instance: 'VI_ALIVE',
        routerId: 61,
        priority: 150 - i * 50,
        srcIp: n.host.ip,
        peers: nodes.filter((o) => o !== n).map((o) => o.host.ip),
        vip: `${SUBNET}.200`,
        fifo: join(n.dir, 'ka.fifo'),
      });
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { net, nodes, destroy };
}
