import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentProc, startAgent } from './agent.js';
import { type CliResult, SUPHA_BIN } from './cli.js';
import { type Keepalived, startKeepalived } from './keepalived.js';
import { createNetRig, type Host, type NetRig, SUBNET } from './netns.js';
import { type Rsyncd, startRsyncd } from './rsyncd.js';
import { type Supervisord, startSupervisord } from './supervisord.js';
import { tempDir, waitFor, writeJson } from './tmp.js';

// Mutual standby (互为主备): set east prefers host 1, set west prefers host 2; each set follows
// its own VRRP instance of a real keepalived (preemption on, as shipped).
export const SETS = { east: { instance: 'VI_EAST', routerId: 71, vip: `${SUBNET}.201` }, west: { instance: 'VI_WEST', routerId: 72, vip: `${SUBNET}.202` } };
export type SetName = keyof typeof SETS;

export interface MutualNode {
  name: string;
  host: Host;
  dir: string;
  registry(set: SetName): string;
  cfgPath: string;
  sv: Supervisord;
  rsyncd: Rsyncd;
  ka: Keepalived | undefined;
  agent: AgentProc | undefined;
  // Agent first (it makes the FIFO), then keepalived.
  up(): Promise<void>;
  down(): Promise<void>;
  startKeepalived(): Promise<void>;
  sync(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  role(set: SetName): Promise<string | undefined>;
  running(): Promise<string[]>;
}

export interface MutualPair {
  net: NetRig;
  nodes: [MutualNode, MutualNode];
  destroy(): Promise<void>;
}

// Two namespace hosts, each with a real supervisord (its [include] covers registry/*/*.conf), rsync
// daemon (serving registry/), and, once up() runs, a real agent and keepalived.
export async function createMutualPair(sync: Record<string, number> = {}): Promise<MutualPair> {
  const net = await createNetRig(2);
  const nodes: MutualNode[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const destroy = async () => {
    for (const n of nodes) await n.down().catch(() => {});
    for (const n of nodes) await n.rsyncd.stop().catch(() => {});
    for (const n of nodes) await n.sv.stop().catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await net.destroy();
  };
  try {
    const parts: { host: Host; dir: string; sv: Supervisord; rsyncd: Rsyncd }[] = [];
    for (const [i, host] of net.hosts.entries()) {
      const tmp = await tempDir(`supha-mutual${i + 1}-`);
      cleanups.push(tmp.cleanup);
      for (const s of Object.keys(SETS)) await mkdir(join(tmp.dir, 'registry', s), { recursive: true });
      const sv = await startSupervisord({ dir: join(tmp.dir, 'sv'), include: [join(tmp.dir, 'registry', '*', '*.conf')], wrap: net.wrap(host) });
      const rsyncd = await startRsyncd({ path: join(tmp.dir, 'registry'), netns: host.ns, address: host.ip, port: 873 });
      parts.push({ host, dir: tmp.dir, sv, rsyncd });
    }
    for (const [i, p] of parts.entries()) {
      const other = parts[1 - i];
      if (!other) throw new Error('two hosts expected');
      const name = `node${i + 1}`;
      const cfgPath = join(p.dir, 'config.json');
      const fifo = join(p.dir, 'ka.fifo');
      const socket = join(p.dir, 'state', 'agent.sock');
      const registry = (s: SetName) => join(p.dir, 'registry', s);
      await writeFile(join(p.dir, 'token'), 'mutual-token\n', { mode: 0o600 });
      await writeJson(cfgPath, {
        'project-name': 'sync-mutual',
        'state-dir': 'state',
        supervisor: { 'server-url': p.sv.url, 'registry-dirs': [] },
        ha: {
          'node-name': name,
          keepalived: { 'notify-fifo': fifo, 'pid-file': join(p.dir, 'keepalived.pid') },
          'service-sets': Object.fromEntries(
            Object.entries(SETS).map(([s, v]) => [s, { 'vrrp-instance': v.instance, registry: registry(s as SetName), vip: v.vip }]),
          ),
          peers: {
            [`node${2 - i}`]: { 'agent-url': `http://${other.host.ip}:7373`, 'sync-target': other.rsyncd.url, 'password-file': other.rsyncd.passwordFile },
          },
          sync: { 'retry-min-ms': 200, 'retry-max-ms': 2_000, 'timeout-ms': 3_000, 'role-check-timeout-ms': 500, ...sync },
          agent: { listen: `${p.host.ip}:7373`, 'token-file': 'token', 'reconcile-interval-ms': 300 },
        },
      });
      const priority = (s: SetName) => ((s === 'east') === (i === 0) ? 150 : 100);
      const [first, second] = Object.entries(SETS) as [SetName, (typeof SETS)[SetName]][];
      if (!first || !second) throw new Error('two sets expected');
      const kaOpts = (s: SetName, v: (typeof SETS)[SetName]) => ({
        dir: p.dir,
        wrap: net.wrap(p.host),
        instance: v.instance,
        routerId: v.routerId,
        priority: priority(s),
        srcIp: p.host.ip,
        peers: [other.host.ip],
        vip: v.vip,
        fifo,
      });
      const node: MutualNode = {
        name,
        host: p.host,
        dir: p.dir,
        registry,
        cfgPath,
        sv: p.sv,
        rsyncd: p.rsyncd,
        ka: undefined,
        agent: undefined,
        async up() {
          this.agent = await startAgent(cfgPath, socket, { prefix: net.wrap(p.host) });
          await this.startKeepalived();
        },
        async startKeepalived() {
          // The second instance goes in as top-level text of the same keepalived.conf.
          const { keepalivedConf } = await import('./keepalived.js');
          const secondBlock = keepalivedConf(kaOpts(second[0], second[1])).replace(/^global_defs \{[\s\S]*?\n\}\n/, '');
          this.ka = await startKeepalived({ ...kaOpts(first[0], first[1]), top: secondBlock });
        },
        async down() {
          await this.ka?.stop();
          this.ka = undefined;
          await this.agent?.stop();
          this.agent = undefined;
        },
        sync: (...args) => inHost(net.wrap(p.host), ['--config', cfgPath, 'sync', ...args]),
        async role(s) {
          const st = await this.agent?.status().catch(() => undefined);
          return st?.sets?.[s]?.acted ?? st?.sets?.[s]?.role;
        },
        async running() {
          return (await p.sv.client().getAllProcessInfo()).filter((x) => x.statename === 'RUNNING').map((x) => x.name);
        },
      };
      nodes.push(node);
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { net, nodes: nodes as [MutualNode, MutualNode], destroy };
}

// `supha ARGS` inside the host's namespace (diff and adopt talk to the peer's rsync daemon).
function inHost(wrap: string[], args: string[]): Promise<CliResult> {
  const argv = [...wrap, process.execPath, SUPHA_BIN, ...args];
  return new Promise((resolve) => {
    execFile(argv[0] ?? '', argv.slice(1), { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

// Waits until each set is MASTER where it is preferred (east on node1, west on node2).
export async function waitPreferred(pair: MutualPair, timeoutMs = 30_000): Promise<void> {
  const [n1, n2] = pair.nodes;
  await waitFor(
    'east MASTER on node1 and west MASTER on node2',
    async () =>
      (await n1.role('east')) === 'MASTER' &&
      (await n2.role('west')) === 'MASTER' &&
      (await n1.role('west')) !== 'MASTER' &&
      (await n2.role('east')) !== 'MASTER',
    timeoutMs,
  );
}
