import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderUpstream } from '../../src/nginx/index.js';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { BACKEND } from '../helpers/bluegreen.js';
import { SUPHA_BIN } from '../helpers/cli.js';
import { type Keepalived, type KeepalivedOptions, startKeepalived } from '../helpers/keepalived.js';
import { createNetRig, type Host, type NetRig, SUBNET } from '../helpers/netns.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { type Rsyncd, startRsyncd } from '../helpers/rsyncd.js';
import { programConf, type Supervisord, type SupervisordOptions, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, writeJson } from '../helpers/tmp.js';

// Mutual standby: set `a` prefers h1, set `b` prefers h2. Each has a core program (never touched
// by the operator faults) and churn programs the operator faults stop, start, edit and delete.
export const SETS = {
  a: { instance: 'VI_A', routerId: 71, vip: `${SUBNET}.100`, preferred: 0 },
  b: { instance: 'VI_B', routerId: 72, vip: `${SUBNET}.101`, preferred: 1 },
} as const;
export type SetName = keyof typeof SETS;
export const SET_NAMES = Object.keys(SETS) as SetName[];
export const CHURN = [1, 2, 3];
export const BG_NODES = ['g1', 'g1-backup', 'g2', 'g2-backup'];

export interface ChaosHost {
  index: number;
  name: string;
  host: Host;
  dir: string;
  cfgPath: string;
  socket: string;
  registry: Record<SetName, string>;
  svOpts: SupervisordOptions;
  sv: Supervisord;
  kaOpts: KeepalivedOptions;
  ka: Keepalived | undefined;
  rsyncd: Rsyncd;
  agent: AgentProc | undefined;
  nginx: Nginx | undefined;
  // every agent's stderr so far, also from agents that were killed
  agentLogs: string[];
  startAgent(): Promise<AgentProc>;
}

export interface ChaosRig {
  net: NetRig;
  marker: string;
  hosts: ChaosHost[];
  // argv for a supha / supzcli command run inside a host's namespace
  cli(h: ChaosHost, bin: 'supha' | 'supzcli', args: string[]): string[];
  destroy(): Promise<void>;
}

// A set's program runs `sleep` under an argv[0] that names it, so a scan of /proc can find it
// when its supervisord does not answer.
export function programCommand(marker: string, name: string): string {
  return `bash -c "exec -a ${marker}-${name} sleep infinity"`;
}

// A set program's conf; `version` makes each edit a distinct content.
export function setConf(marker: string, name: string, version: number): string {
  return `; chaos ${marker} ${name} v${version}\n${programConf(name, { command: programCommand(marker, name), stopwaitsecs: 2 })}`;
}

function instanceBlock(set: SetName, priority: number, srcIp: string, peer: string): string {
  const s = SETS[set];
  return `vrrp_instance ${s.instance} {
  state BACKUP
  interface eth0
  virtual_router_id ${s.routerId}
  priority ${priority}
  advert_int 0.1
  unicast_src_ip ${srcIp}
  unicast_peer {
    ${peer}
  }
  virtual_ipaddress {
    ${s.vip}/24 dev eth0
  }
}
`;
}

// Node config for blue/green on h1, in the seed's shape (two groups of a node and its backup).
function nginxSection(ports: Record<string, number>, nginx: Nginx): Record<string, unknown> {
  const node = (n: string) => ({
    'health-check-url': `http://127.0.0.1:${ports[n]}/`,
    'upstream-url': `127.0.0.1:${ports[n]}`,
    'supervisor-program': n,
    backup: n.endsWith('backup'),
  });
  return {
    'nginx-home': '/usr',
    'nginx-reload-cmd': nginx.reloadCmd,
    'nginx-test-cmd': nginx.testCmd,
    'upstream-conf-path': nginx.upstreamPath,
    'pid-file': nginx.pidFile,
    upstream: {
      'upstream-name': 'jetty',
      keepalive: 1,
      'node-group': {
        group1: { nodes: { g1: node('g1'), 'g1-backup': node('g1-backup') }, 'default-group': 'primary' },
        group2: { nodes: { g2: node('g2'), 'g2-backup': node('g2-backup') }, 'default-group': 'standby' },
      },
    },
    health: { 'interval-ms': 300, 'timeout-ms': 2000, 'fail-threshold': 2 },
    switch: { 'health-passes': 2, 'health-deadline-ms': 15_000, 'verify-window-ms': 300, 'drain-ms': 300, 'check-interval-ms': 100, 'verify-url': nginx.url },
  };
}

export async function startChaosRig(): Promise<ChaosRig> {
  const net = await createNetRig(2);
  const marker = `chaos-${net.prefix}`;
  const hosts: ChaosHost[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const destroy = async () => {
    for (const h of hosts) await h.agent?.stop().catch(() => {});
    for (const h of hosts) await h.ka?.stop().catch(() => {});
    for (const h of hosts) await h.nginx?.stop().catch(() => {});
    for (const h of hosts) await h.rsyncd?.stop().catch(() => {});
    for (const h of hosts) {
      // A supervisord left stopped by a fault cut short would never end.
      try {
        if (h.sv) process.kill(h.sv.pid, 'SIGCONT');
      } catch {}
      await h.sv?.stop().catch(() => {});
    }
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await net.destroy();
  };
  try {
    type Part = Pick<ChaosHost, 'host' | 'dir' | 'registry' | 'svOpts' | 'sv' | 'rsyncd' | 'nginx'> & { nginxCfg?: Record<string, unknown> };
    const parts: Part[] = [];
    for (const [i, host] of net.hosts.entries()) {
      const tmp = await tempDir(`supha-chaos${i + 1}-`);
      cleanups.push(tmp.cleanup);
      const dir = tmp.dir;
      const registry = { a: join(dir, 'registry', 'a'), b: join(dir, 'registry', 'b') };
      // Both hosts start with the same registries, as after an earlier replication.
      for (const set of SET_NAMES) {
        await mkdir(registry[set], { recursive: true });
        for (const n of [0, ...CHURN]) await writeFile(join(registry[set], `${set}${n}.conf`), setConf(marker, `${set}${n}`, 0));
      }
      const cfgPath = join(dir, 'config.json');
      const listener = `[eventlistener:supha]
command=${process.execPath} ${SUPHA_BIN} --config ${cfgPath} listen
events=PROCESS_STATE,TICK_5
autostart=true
autorestart=true
buffer_size=100
stderr_logfile=${join(dir, 'listener.log')}
`;
      let ports: Record<string, number> = {};
      const programs: SupervisordOptions['programs'] = {};
      if (i === 0) {
        ports = Object.fromEntries(await Promise.all(BG_NODES.map(async (n) => [n, await freePort()] as const)));
        for (const n of BG_NODES) {
          const version = `${n.startsWith('g1') ? 'v1' : 'v2'}${n.endsWith('backup') ? '-backup' : ''}`;
          programs[n] = { command: [process.execPath, BACKEND, ports[n], version, 'ok', 0].join(' '), stopwaitsecs: 5 };
        }
      }
      const svOpts: SupervisordOptions = {
        dir: join(dir, 'sv'),
        programs,
        include: SET_NAMES.map((s) => join(registry[s], '*.conf')),
        wrap: net.wrap(host),
        extraConf: listener,
      };
      const sv = await startSupervisord(svOpts);
      const rsyncd = await startRsyncd({ path: join(dir, 'registry'), netns: host.ns, address: host.ip, port: 873 });
      let nginx: Nginx | undefined;
      let nginxCfg: Record<string, unknown> | undefined;
      if (i === 0) {
        nginx = await startNginx({ upstreamName: 'jetty', upstreamText: 'upstream jetty { server 127.0.0.1:1; }\n', wrap: net.wrap(host) });
        nginxCfg = nginxSection(ports, nginx);
        await writeFile(nginx.upstreamPath, renderUpstream(nginxCfg as never, 'group1', {}));
        for (const n of BG_NODES.filter((x) => x.startsWith('g1'))) await sv.client().startProcess(n);
      }
      parts.push({ host, dir, registry, svOpts, sv, rsyncd, nginx, nginxCfg });
    }
    for (const [i, p] of parts.entries()) {
      const other = parts[1 - i];
      if (!other) throw new Error('two hosts expected');
      const name = `node${i + 1}`;
      const cfgPath = join(p.dir, 'config.json');
      const fifo = join(p.dir, 'ka.fifo');
      const socket = join(p.dir, 'state', 'agent.sock');
      await writeFile(join(p.dir, 'token'), 'chaos-token-7f3a\n', { mode: 0o600 });
      const cfg: Record<string, unknown> = {
        'project-name': 'chaos',
        'state-dir': 'state',
        'runtime-dir': join(p.dir, 'runtime'),
        supervisor: { 'server-url': p.sv.url, 'registry-dirs': [] },
        ha: {
          'node-name': name,
          keepalived: { 'notify-fifo': fifo, 'pid-file': join(p.dir, 'keepalived.pid') },
          'service-sets': Object.fromEntries(SET_NAMES.map((s) => [s, { 'vrrp-instance': SETS[s].instance, registry: p.registry[s], vip: SETS[s].vip }])),
          peers: {
            [`node${2 - i}`]: { 'agent-url': `http://${other.host.ip}:7373`, 'sync-target': other.rsyncd.url, 'password-file': other.rsyncd.passwordFile },
          },
          sync: { 'retry-min-ms': 100, 'retry-max-ms': 1_000, 'timeout-ms': 3_000, 'role-check-timeout-ms': 500 },
          agent: { listen: `${p.host.ip}:7373`, 'token-file': 'token', 'reconcile-interval-ms': 300 },
        },
      };
      if (p.nginxCfg) {
        await mkdir(join(p.dir, 'runtime'), { recursive: true });
        cfg.nginx = p.nginxCfg;
      }
      await writeJson(cfgPath, cfg);
      const prefs = SET_NAMES.map((s) => (SETS[s].preferred === i ? 150 : 100));
      const [first, second] = SET_NAMES;
      if (!first || !second) throw new Error('two sets expected');
      const kaOpts: KeepalivedOptions = {
        dir: p.dir,
        wrap: net.wrap(p.host),
        instance: SETS[first].instance,
        routerId: SETS[first].routerId,
        priority: prefs[0] ?? 100,
        srcIp: p.host.ip,
        peers: [other.host.ip],
        vip: SETS[first].vip,
        fifo,
        top: instanceBlock(second, prefs[1] ?? 100, p.host.ip, other.host.ip),
      };
      const h: ChaosHost = {
        index: i,
        name,
        ...p,
        cfgPath,
        socket,
        kaOpts,
        ka: undefined,
        agent: undefined,
        agentLogs: [],
        async startAgent() {
          const a = await startAgent(cfgPath, socket, { prefix: net.wrap(p.host), env: { SUPHA_LOG_LEVEL: 'info' } });
          this.agent = a;
          const slot = this.agentLogs.length;
          this.agentLogs.push('');
          a.child.stderr?.on('data', () => {
            this.agentLogs[slot] = a.logs();
          });
          return a;
        },
      };
      hosts.push(h);
      await h.startAgent();
    }
    for (const h of hosts) h.ka = await startKeepalived(h.kaOpts);
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    net,
    marker,
    hosts,
    cli: (h, bin, args) => [...net.wrap(h.host), process.execPath, SUPHA_BIN.replace(/supha\.js$/, `${bin}.js`), '--config', h.cfgPath, ...args],
    destroy,
  };
}
