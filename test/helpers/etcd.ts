import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { EtcdClient } from '../../src/quorum/index.js';
import { run } from '../../src/util/exec.js';
import type { NetRig } from './netns.js';
import { freePort, stopChild, tempDir, waitFor } from './tmp.js';

export interface Etcd {
  url: string;
  pid: number;
  dir: string;
  logs(): string;
  // SIGKILL (etcd down); start() again from the same data dir (etcd back).
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

// The etcd address in the rig's bridge namespace (on br0, reached by every host).
export const ETCD_IP = '198.18.0.2';

// A real single-member etcd (3.4) in a temp dir, stopped by its PID. With `net`, it runs in the
// rig's bridge namespace on ETCD_IP:2379 (peer port on that namespace's loopback); without, on
// loopback with probed ports. Short election timeouts so leases may be 1 s.
export async function startEtcd(opts: { net?: NetRig; clientPort?: number; peerPort?: number } = {}): Promise<Etcd> {
  const tmp = await tempDir('supha-etcd-');
  const host = opts.net ? ETCD_IP : '127.0.0.1';
  // On loopback the ports are probed: test files run at once must not share an etcd.
  const clientPort = opts.clientPort ?? (opts.net ? 2379 : await freePort());
  const peerPort = opts.peerPort ?? (opts.net ? 2380 : await freePort());
  if (opts.net) {
    await run('ip', ['-n', opts.net.bridgeNs, 'addr', 'add', `${ETCD_IP}/24`, 'dev', 'br0'], { timeoutMs: 5_000 }).catch(() => {});
  }
  const url = `http://${host}:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const wrap = opts.net ? ['ip', 'netns', 'exec', opts.net.bridgeNs] : [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let logs = '';
  const self: Etcd = {
    url,
    pid: 0,
    dir: tmp.dir,
    logs: () => logs,
    async start() {
      const argv = [
        ...wrap,
        'etcd',
        '--name',
        'witness',
        '--data-dir',
        join(tmp.dir, 'data'),
        '--listen-client-urls',
        url,
        '--advertise-client-urls',
        url,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `witness=${peer}`,
        '--heartbeat-interval',
        '50',
        '--election-timeout',
        '500',
      ];
      const c = spawn(argv[0] ?? '', argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      c.stderr?.on('data', (d) => {
        logs = (logs + String(d)).slice(-20_000);
      });
      exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      self.pid = c.pid ?? 0;
      await waitFor(
        'etcd to serve',
        async () => {
          if (c.exitCode !== null) throw new Error(`etcd exited ${c.exitCode}: ${logs.slice(-2000)}`);
          const probe = opts.net
            ? await run('ip', ['netns', 'exec', opts.net.bridgeNs, 'etcdctl', '--endpoints', url, '--dial-timeout', '1s', 'endpoint', 'health'], {
                timeoutMs: 5_000,
              }).then(
                () => true,
                () => false,
              )
            : await new EtcdClient({ endpoints: [url], timeoutMs: 1_000 }).get('/probe').then(
                () => true,
                () => false,
              );
          return probe;
        },
        20_000,
        100,
      );
    },
    async kill() {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) await stopChild(child, exited);
      await tmp.cleanup();
    },
  };
  try {
    await self.start();
  } catch (err) {
    await self.kill();
    await tmp.cleanup();
    throw err;
  }
  return self;
}
