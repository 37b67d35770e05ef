import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { run } from '../../src/util/exec.js';
import { waitFor } from './tmp.js';

export interface KeepalivedOptions {
  dir: string;
  // argv prefix that runs keepalived inside a namespace (ip netns exec NS)
  wrap: string[];
  instance: string;
  routerId: number;
  priority: number;
  srcIp: string;
  peers: string[];
  vip: string;
  fifo: string;
  iface?: string;
  // extra lines inside the vrrp_instance block (track_file, track_script...)
  extra?: string;
  // extra top-level text (vrrp_script, track_file definitions...)
  top?: string;
  // The whole keepalived.conf (a shipped example adapted to the host); the fields above then
  // only name the instance for the file name.
  confText?: string;
}

export interface Keepalived {
  pidFile: string;
  vrrpPidFile: string;
  confPath: string;
  pid: number;
  logs(): string;
  // SIGKILL of the parent and its VRRP child: the VIP stays on the interface.
  kill9(): Promise<void>;
  // SIGHUP (after writing `confText` to its conf, if given); resolves once keepalived logs the
  // reload as complete.
  reload(confText?: string): Promise<void>;
  stop(): Promise<void>;
}

// The keepalived.conf a test host runs: VRRPv3, advert_int 0.1, unicast to the peers, notify_fifo.
// NOTE: script_user before notify_fifo: keepalived 2.2 drops a notify_fifo parsed before it on a
// reload (SIGHUP) and writes no more events (test/deps/keepalived.test.ts).
export function keepalivedConf(o: KeepalivedOptions): string {
  const iface = o.iface ?? 'eth0';
  return `global_defs {
  router_id ${o.instance}_${o.routerId}_${o.priority}
  vrrp_version 3
  script_user root
  notify_fifo ${o.fifo}
  enable_script_security
  vrrp_garp_master_delay 0
  vrrp_garp_master_repeat 1
}
${o.top ?? ''}
vrrp_instance ${o.instance} {
  state BACKUP
  interface ${iface}
  virtual_router_id ${o.routerId}
  priority ${o.priority}
  advert_int 0.1
  unicast_src_ip ${o.srcIp}
  unicast_peer {
${o.peers.map((p) => `    ${p}`).join('\n')}
  }
  virtual_ipaddress {
    ${o.vip}/24 dev ${iface}
  }
${o.extra ?? ''}
}
`;
}

// A real keepalived (VRRP only) in the foreground with its own pid files, stopped by its PID.
export async function startKeepalived(o: KeepalivedOptions): Promise<Keepalived> {
  const confPath = join(o.dir, `keepalived-${o.instance}.conf`);
  const pidFile = join(o.dir, 'keepalived.pid');
  const vrrpPidFile = join(o.dir, 'vrrp.pid');
  const checkersPidFile = join(o.dir, 'checkers.pid');
  await writeFile(confPath, o.confText ?? keepalivedConf(o));
  // A SIGKILLed keepalived leaves its pid files, and its VRRP child may linger as a zombie no one
  // reaps here: keepalived would then refuse to start ("daemon is already running").
  for (const f of [pidFile, vrrpPidFile, checkersPidFile]) await rm(f, { force: true });
  const argv = [...o.wrap, 'keepalived', '-n', '-l', '-D', '-G', '-P', '-f', confPath, '-p', pidFile, '-r', vrrpPidFile, '-c', checkersPidFile];
  const child: ChildProcess = spawn(argv[0] ?? '', argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  let reloads = 0;
  const collect = (d: Buffer) => {
    reloads += String(d).match(/Reload (complete|finished)/g)?.length ?? 0;
    logs = (logs + String(d)).slice(-50_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const readPid = async (f: string) => Number((await readFile(f, 'utf8').catch(() => '')).trim()) || 0;
  try {
    await waitFor(
      'keepalived to write its pid files',
      async () => {
        if (child.exitCode !== null) throw new Error(`keepalived exited ${child.exitCode}: ${logs.slice(-2000)}`);
        return (await readPid(pidFile)) === child.pid && (await readPid(vrrpPidFile)) > 0;
      },
      15_000,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const pid = child.pid ?? 0;
  const killPid = (p: number, sig: NodeJS.Signals) => {
    try {
      if (p > 0) process.kill(p, sig);
    } catch {}
  };
  return {
    pidFile,
    vrrpPidFile,
    confPath,
    pid,
    logs: () => logs,
    async kill9() {
      const vrrp = await readPid(vrrpPidFile);
      // NOTE: stop both first. The VRRP child gets SIGTERM when its parent dies (PDEATHSIG) and
      // would then remove the VIP; stopped, it cannot, and SIGKILL ends it before it runs again.
      // This is `systemctl kill -s KILL`: every process of keepalived at once.
      killPid(vrrp, 'SIGSTOP');
      killPid(pid, 'SIGSTOP');
      killPid(pid, 'SIGKILL');
      killPid(vrrp, 'SIGKILL');
      await exited;
    },
    async reload(confText) {
      if (confText !== undefined) await writeFile(confPath, confText);
      const before = reloads;
      killPid(pid, 'SIGHUP');
      await waitFor('keepalived to finish its reload', () => reloads > before, 15_000);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killPid(pid, 'SIGTERM');
      const timer = setTimeout(() => killPid(pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// A real keepalived alone in its own network namespace (a veth pair for its non-lo interface,
// 198.19.254.0/24 inside it), for one-node tests: its pid file names a live keepalived and it
// writes to `fifo` (made here first, so keepalived neither creates nor removes it), but for an
// instance no set follows (VI_LONE): the test drives the set's role with `supha notify` and FIFO
// lines. kill() is SIGKILL of every keepalived process; stop() also deletes the namespace.
export async function loneKeepalived(dir: string, fifo: string): Promise<{ pid: number; pidFile: string; kill(): Promise<void>; stop(): Promise<void> }> {
  const ns = `ska${randomBytes(3).toString('hex')}`;
  const ip = (args: string[]) => run('ip', ['-n', ns, ...args], { timeoutMs: 10_000 });
  await run('ip', ['netns', 'add', ns], { timeoutMs: 10_000 });
  const delNs = () => run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 }).then(() => {});
  let ka: Keepalived | undefined;
  try {
    await ip(['link', 'set', 'lo', 'up']);
    await ip(['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    await ip(['link', 'set', 'v0', 'up']);
    await ip(['link', 'set', 'v1', 'up']);
    await ip(['addr', 'add', '198.19.254.1/24', 'dev', 'v0']);
    await mkdir(dirname(fifo), { recursive: true });
    if (!(await lstat(fifo).catch(() => undefined))?.isFIFO()) await run('mkfifo', ['-m', '0600', fifo], { timeoutMs: 5_000 });
    const kaDir = join(dir, `lone-${ns}`);
    await mkdir(kaDir);
    ka = await startKeepalived({
      dir: kaDir,
      wrap: ['ip', 'netns', 'exec', ns],
      instance: 'VI_LONE',
      routerId: 254,
      priority: 100,
      srcIp: '198.19.254.1',
      peers: ['198.19.254.2'],
      vip: '198.19.254.100',
      fifo,
      iface: 'v0',
    });
  } catch (err) {
    await delNs().catch(() => {});
    throw err;
  }
  const k = ka;
  return {
    pid: k.pid,
    pidFile: k.pidFile,
    kill: () => k.kill9(),
    async stop() {
      await k.kill9();
      await delNs().catch(() => {});
    },
  };
}
