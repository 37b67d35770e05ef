import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import { setConf } from '../chaos/rig.js';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { BACKEND } from '../helpers/bluegreen.js';
import { ROOT, SUPHA_BIN } from '../helpers/cli.js';
import { type Keepalived, startKeepalived } from '../helpers/keepalived.js';
import { createNetRig, type Host, type NetRig } from '../helpers/netns.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { type Rsyncd, startRsyncd } from '../helpers/rsyncd.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';

// The shipped mutual-standby pair (conf/node-a.json, conf/node-b.json, keepalived/node-a.conf,
// node-b.conf, supervisor/supervisord.conf.example, supervisor/supha-listener.conf,
// conf/rsyncd.conf.example) on two namespace hosts of the chaos rig's network (createNetRig:
// node-a is 198.18.0.11, node-b 198.18.0.12, eth0 each: the addresses the examples already use).
// Each file is the shipped one with its absolute paths moved under the host's own root folder
// (`/etc/supha/config.json` -> `<root>/etc/supha/config.json`), nothing else rewritten by hand.
// node-a also runs Nginx with the seed's blue/green layout (conf/config.json's nginx section).

export const NODES = ['node-a', 'node-b'] as const;
export const SET_PROGRAMS = { app: ['web', 'api'], batch: ['worker'] } as const;
export type DemoSet = keyof typeof SET_PROGRAMS;
export const SET_LIST = Object.keys(SET_PROGRAMS) as DemoSet[];
// Where each set's confs are first written (its preferred node; the other gets them by replication).
const HOME: Record<DemoSet, number> = { app: 0, batch: 1 };
// The seed's blue/green nodes (conf/config.json) and the ports it gives them, inside node-a.
export const BG_PORTS = { jetty1: 8080, jetty2: 8081, 'jetty1-backup': 8082, 'jetty2-backup': 8083 } as const;

export interface DemoHost {
  name: (typeof NODES)[number];
  host: Host;
  // The host's root folder: every absolute path of the examples lives under it.
  root: string;
  cfgPath: string;
  socket: string;
  registry: Record<DemoSet, string>;
  sv: Supervisord;
  rsyncd: Rsyncd;
  ka?: Keepalived;
  agent?: AgentProc;
  nginx?: Nginx;
}

export interface DemoPair {
  net: NetRig;
  marker: string;
  hosts: [DemoHost, DemoHost];
  token: string;
  // argv for supha / supzcli inside a host's namespace, with its config
  cli(h: DemoHost, bin: 'supha' | 'supzcli', args: string[]): string[];
  destroy(): Promise<void>;
}

// `/etc/...`, `/var/...`, `/run/...`, `/opt/...` and `/usr/bin/supha` moved under `root`.
export function underRoot(text: string, root: string): string {
  return text.replace(/(?<![\w.])\/(etc|var|run|opt|usr\/bin\/supha)(?=[/\s"';]|$)/gm, `${root}/$1`);
}

const read = (rel: string) => readFile(join(ROOT, rel), 'utf8');

async function writeExec(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o755 });
  await chmod(path, 0o755);
}

// The blue/green part of node-a's config: conf/config.json's nginx section, its paths under the
// root, Nginx's commands and pid file those of the demo's Nginx, the demo's pace (seconds, not
// the seed's half minute), and an upgrade-cmd for group1 too (the seed has one for group2 only;
// the demo upgrades both ways).
async function nginxSection(root: string, nginx: Nginx): Promise<Record<string, any>> {
  const seed = JSON.parse(underRoot(await read('conf/config.json'), root)).nginx;
  seed['nginx-home'] = '/usr';
  seed['nginx-reload-cmd'] = nginx.reloadCmd;
  seed['nginx-test-cmd'] = nginx.testCmd;
  seed['pid-file'] = nginx.pidFile;
  const groups = seed.upstream['node-group'];
  groups.group1['upgrade-cmd'] = groups.group2['upgrade-cmd'].replace(/group2$/, 'group1');
  seed.health = { ...seed.health, 'interval-ms': 500, 'fail-threshold': 2, 'restart-backoff-ms': 500 };
  seed.switch = {
    ...seed.switch,
    'health-passes': 2,
    'health-deadline-ms': 4_000,
    'verify-window-ms': 800,
    'drain-ms': 800,
    'check-interval-ms': 100,
    'verify-url': nginx.url,
  };
  return seed;
}

// Releases under <root>/opt/jettygroup/releases/<version>/ (a VERSION and a MODE file, ok or
// sick), each group's `current` a symlink to one (the seed's "switch the symlink"), each node's
// bin/jetty.sh: `run` (the supervisord program) or start|stop (the seed's jetty.sh, for the
// backups' start-cmd/stop-cmd).
async function writeJettyGroup(root: string): Promise<void> {
  const jg = join(root, 'opt/jettygroup');
  for (const [v, mode] of [
    ['v1', 'ok'],
    ['v2', 'ok'],
    ['v3-broken', 'sick'],
  ] as const) {
    await mkdir(join(jg, 'releases', v), { recursive: true });
    await writeFile(join(jg, 'releases', v, 'VERSION'), `${v}\n`);
    await writeFile(join(jg, 'releases', v, 'MODE'), `${mode}\n`);
  }
  for (const g of ['group1', 'group2']) {
    await mkdir(join(jg, g), { recursive: true });
    await symlink(join(jg, 'releases', 'v1'), join(jg, g, 'current'));
  }
  await mkdir(join(jg, 'bin'), { recursive: true });
  await writeExec(
    join(jg, 'bin', 'switch-release'),
    `#!/bin/sh\n# switch-release GROUP VERSION\nset -e\n[ -d ${jg}/releases/"$2" ]\nln -sfn ${jg}/releases/"$2" ${jg}/"$1"/current\n`,
  );
  for (const [node, port] of Object.entries(BG_PORTS)) {
    const rel = join(jg, node.startsWith('jetty1') ? 'group1' : 'group2', 'current');
    await mkdir(join(jg, node, 'bin'), { recursive: true });
    await writeExec(
      join(jg, node, 'bin', 'jetty.sh'),
      `#!/bin/sh
v=$(cat ${rel}/VERSION)
case "$1" in
run) exec ${process.execPath} ${BACKEND} ${port} "$v" "$(cat ${rel}/MODE)" 0 ${node} ;;
*) exec sh ${ROOT}/test/fixtures/jetty-like.sh "$1" ${root}/run/${node}.pid ${port} "$v" ;;
esac
`,
    );
    if (node.endsWith('backup')) continue;
    // The seed's supervisor-program nodes: a conf in /etc/supervisor/conf.d (a registry-dir).
    await writeFile(
      join(root, 'etc/supervisor/conf.d', `${node}.conf`),
      `[program:${node}]\ncommand=${join(jg, node, 'bin', 'jetty.sh')} run\nautostart=false\nstartsecs=0\nstopwaitsecs=5\nstopasgroup=true\nkillasgroup=true\n`,
    );
  }
}

export async function startDemoPair(base: string, prefix?: string): Promise<DemoPair> {
  const net = await createNetRig(2, prefix);
  const marker = `demo-${net.prefix}`;
  const hosts: DemoHost[] = [];
  const token = `demo-${net.prefix}-${Math.random().toString(36).slice(2)}`;
  const password = `rsync-${Math.random().toString(36).slice(2)}`;
  const destroy = async () => {
    for (const h of hosts) await h.agent?.stop().catch(() => {});
    for (const h of hosts) await h.ka?.stop().catch(() => {});
    for (const h of hosts) await h.nginx?.stop().catch(() => {});
    for (const h of hosts) await h.rsyncd?.stop().catch(() => {});
    for (const h of hosts) await h.sv?.stop().catch(() => {});
    // Whatever is still inside the namespaces was started here (the backups' jetty-like.sh
    // daemons, say): each ended by its PID before the namespaces go.
    await killNamespacePids(net);
    await net.destroy();
  };
  try {
    for (const [i, host] of net.hosts.entries()) {
      const name = NODES[i] ?? 'node-a';
      const root = join(base, name);
      for (const d of ['etc/supha', 'etc/supervisor/conf.d', 'etc/nginx', 'var/run', 'var/log/supervisor', 'run/supha', 'usr/bin'])
        await mkdir(join(root, d), { recursive: true });
      // /usr/bin/supha and supzcli: the compiled bins.
      for (const bin of ['supha', 'supzcli'])
        await writeExec(join(root, 'usr/bin', bin), `#!/bin/sh\nexec ${process.execPath} ${SUPHA_BIN.replace(/supha\.js$/, `${bin}.js`)} "$@"\n`);
      const cfg = JSON.parse(underRoot(await read(`conf/${name}.json`), root));
      const registry = { app: cfg.ha['service-sets'].app.registry, batch: cfg.ha['service-sets'].batch.registry } as Record<DemoSet, string>;
      for (const set of SET_LIST) {
        await mkdir(registry[set], { recursive: true });
        if (HOME[set] !== i) continue;
        for (const p of SET_PROGRAMS[set]) await writeFile(join(registry[set], `${p}.conf`), setConf(marker, p, 0));
      }
      // Secrets: the shared agent token, the rsync password (client side) and rsyncd's secrets.
      await writeFile(cfg.ha.agent['token-file'], `${token}\n`, { mode: 0o600 });
      for (const p of Object.values(cfg.ha.peers) as { 'password-file': string }[]) await writeFile(p['password-file'], `${password}\n`, { mode: 0o600 });
      await writeFile(join(root, 'etc/rsyncd.secrets'), `supha:${password}\n`, { mode: 0o600 });
      // supervisord: the example conf and the listener's include.
      await writeFile(join(root, 'etc/supervisor/supha-listener.conf'), underRoot(await read('supervisor/supha-listener.conf'), root));
      const svText = underRoot(await read('supervisor/supervisord.conf.example'), root);
      const socketPath = /^file=(\S+)$/m.exec(svText)?.[1] ?? '';
      let nginx: Nginx | undefined;
      if (i === 0) {
        await writeJettyGroup(root);
        nginx = await startNginx({
          upstreamName: 'jetty',
          upstreamText: 'upstream jetty { server 127.0.0.1:8080; server 127.0.0.1:8082 backup; }\n',
          dir: join(root, 'etc/nginx'),
          glob: true,
          wrap: net.wrap(host),
        });
        cfg.nginx = await nginxSection(root, nginx);
        if (cfg.nginx['upstream-conf-path'] !== nginx.upstreamPath) throw new Error(`the upstream file moved: ${nginx.upstreamPath}`);
      }
      const cfgPath = join(root, 'etc/supha/config.json');
      await writeFile(cfgPath, `${JSON.stringify(cfg, null, 4)}\n`);
      const sv = await startSupervisord({ dir: join(root, 'etc/supervisor'), confText: svText, socketPath, wrap: net.wrap(host) });
      const rsText = underRoot(await read('conf/rsyncd.conf.example'), root);
      const rsyncd = await startRsyncd({
        path: join(root, 'etc/supervisor/registry'),
        netns: host.ns,
        address: host.ip,
        port: 873,
        module: 'supha-registry',
        confText: rsText,
      });
      const h: DemoHost = { name, host, root, cfgPath, socket: join(cfg['state-dir'], 'agent.sock'), registry, sv, rsyncd };
      if (nginx) h.nginx = nginx;
      hosts.push(h);
    }
    // The agents first (each makes its FIFO), then both keepalived at once (neither alone long).
    for (const h of hosts) h.agent = await startAgent(h.cfgPath, h.socket, { prefix: net.wrap(h.host), env: { SUPHA_LOG_LEVEL: 'info' } });
    await Promise.all(
      hosts.map(async (h) => {
        const text = underRoot(await read(`keepalived/${h.name}.conf`), h.root);
        h.ka = await startKeepalived({
          dir: join(h.root, 'run'),
          wrap: net.wrap(h.host),
          instance: h.name,
          routerId: 0,
          priority: 0,
          srcIp: h.host.ip,
          peers: [],
          vip: '',
          fifo: '',
          confText: text,
        });
      }),
    );
  } catch (err) {
    await destroy();
    throw err;
  }
  const [a, b] = hosts;
  if (!a || !b) throw new Error('two hosts expected');
  return {
    net,
    marker,
    hosts: [a, b],
    token,
    cli: (h, bin, args) => [...net.wrap(h.host), join(h.root, 'usr/bin', bin), '--config', h.cfgPath, ...args],
    destroy,
  };
}

// Ends, by PID, every process still inside the rig's namespaces (all started by this run).
export async function killNamespacePids(net: NetRig): Promise<number> {
  let n = 0;
  for (const h of [...net.hosts, { ns: net.bridgeNs }]) {
    const out = await run('ip', ['netns', 'pids', h.ns], { timeoutMs: 5_000, reject: false });
    for (const pid of out.stdout.split(/\s+/).filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
        n++;
      } catch {}
    }
  }
  return n;
}
