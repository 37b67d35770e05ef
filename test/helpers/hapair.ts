import { join } from 'node:path';
import { type AgentProc, startAgent } from './agent.js';
import { SUPHA_BIN } from './cli.js';
import { type Keepalived, startKeepalived } from './keepalived.js';
import { createNetRig, type Host, type NetRig, SUBNET } from './netns.js';
import { type ProgramSpec, type Supervisord, startSupervisord } from './supervisord.js';
import { tempDir, waitFor, writeJson } from './tmp.js';

export interface HaNode {
  host: Host;
  dir: string;
  cfgPath: string;
  fifo: string;
  socket: string;
  sv: Supervisord;
  ka: Keepalived | undefined;
  agent: AgentProc | undefined;
  priority: number;
  startKeepalived(): Promise<Keepalived>;
  // Stops this host's supervisord (its programs with it) and starts it again from the same dir.
  restartSupervisord(between?: () => Promise<void>): Promise<void>;
  // names of the set's programs in RUNNING state on this node
  running(): Promise<string[]>;
}

export interface HaPair {
  net: NetRig;
  nodes: HaNode[];
  vip: string;
  destroy(): Promise<void>;
}

export const VIP = `${SUBNET}.100`;

// Two (or more) hosts in network namespaces, each with its own supervisord (programs in conf.d,
// the set's registry, and `supha listen` as its event listener), keepalived (VRRPv3, advert_int
// 0.1, notify_fifo, unicast) and `supha agent`. The first host has the highest priority.
export async function startHaPair(opts: {
  programs: Record<string, ProgramSpec>;
  count?: number;
  intervalMs?: number;
  // Changes a host's config.json before its agent starts (e.g. an nginx section).
  configure?: (cfg: Record<string, any>, dir: string) => void;
  // Follow the set's track file (<dir>/state/track/app) in keepalived, as the shipped confs do.
  trackFile?: boolean;
  // Runs once the namespaces exist, before any host starts (e.g. an etcd in the bridge namespace).
  beforeHosts?: (net: NetRig) => Promise<void>;
}): Promise<HaPair> {
  const count = opts.count ?? 2;
  const net = await createNetRig(count);
  const nodes: HaNode[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const destroy = async () => {
    for (const n of nodes) await n.agent?.stop().catch(() => {});
    for (const n of nodes) await n.ka?.stop().catch(() => {});
    for (const n of nodes) await n.sv.stop().catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await net.destroy();
  };
  try {
    await opts.beforeHosts?.(net);
    for (const [i, host] of net.hosts.entries()) {
      const tmp = await tempDir(`supha-ha${i + 1}-`);
      cleanups.push(tmp.cleanup);
      const dir = tmp.dir;
      const cfgPath = join(dir, 'config.json');
      const listener = `[eventlistener:supha]
command=${process.execPath} ${SUPHA_BIN} --config ${cfgPath} listen
events=PROCESS_STATE,TICK_5
autostart=true
autorestart=true
buffer_size=100
stderr_logfile=${join(dir, 'listener.log')}
`;
      const sv = await startSupervisord({ dir, programs: opts.programs, wrap: net.wrap(host), extraConf: listener });
      const fifo = join(dir, 'ka.fifo');
      const socket = join(dir, 'state', 'agent.sock');
      const cfg: Record<string, any> = {
        'project-name': 'ha-test',
        'state-dir': 'state',
        supervisor: { 'server-url': sv.url, 'registry-dirs': [] },
        ha: {
          'node-name': `node${i + 1}`,
          keepalived: { 'notify-fifo': fifo, 'pid-file': join(dir, 'keepalived.pid') },
          'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry: sv.registryDir, vip: VIP } },
          agent: { listen: '127.0.0.1:7373', 'reconcile-interval-ms': opts.intervalMs ?? 500 },
        },
      };
      opts.configure?.(cfg, dir);
      await writeJson(cfgPath, cfg);
      const priority = 150 - i * 50;
      const node: HaNode = {
        host,
        dir,
        cfgPath,
        fifo,
        socket,
        sv,
        ka: undefined,
        agent: undefined,
        priority,
        async startKeepalived() {
          this.ka = await startKeepalived({
            dir,
            wrap: net.wrap(host),
            instance: 'VI_APP',
            routerId: 51,
            priority,
            srcIp: host.ip,
            peers: net.hosts.filter((h) => h !== host).map((h) => h.ip),
            vip: VIP,
            fifo,
            ...(opts.trackFile
              ? {
                  top: `track_file supha_app {\n  file "${join(dir, 'state', 'track', 'app')}"\n  weight 0\n  init_file 0\n}\n`,
                  extra: '  track_file {\n    supha_app\n  }\n',
                }
              : {}),
          });
          return this.ka;
        },
        async restartSupervisord(between) {
          await this.sv.stop();
          await between?.();
          this.sv = await startSupervisord({ dir, programs: opts.programs, wrap: net.wrap(host), extraConf: listener });
        },
        async running() {
          const names = new Set(Object.keys(opts.programs));
          return (await this.sv.client().getAllProcessInfo()).filter((p) => names.has(p.name) && p.statename === 'RUNNING').map((p) => p.name);
        },
      };
      nodes.push(node);
      // The agent first: it creates the FIFO, so keepalived neither creates nor removes it.
      node.agent = await startAgent(cfgPath, socket, { prefix: net.wrap(host) });
    }
    for (const n of nodes) await n.startKeepalived();
  } catch (err) {
    await destroy();
    throw err;
  }
  return { net, nodes, vip: VIP, destroy };
}

export async function waitRunning(node: HaNode, want: number, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(what, async () => (await node.running()).length === want, timeoutMs, 20);
}
