import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { renderUpstream } from '../../src/nginx/index.js';
import { ROOT, SUPHA_BIN } from './cli.js';
import { get } from './load.js';
import { type Nginx, startNginx } from './nginx.js';
import { type Supervisord, startSupervisord } from './supervisord.js';
import { freePort, waitFor, writeJson } from './tmp.js';

export const BACKEND = join(ROOT, 'test/fixtures/backend.mjs');

export interface NodeSpec {
  version: string;
  mode?: 'ok' | 'sick' | 'lazy';
  // Milliseconds before the node listens (a slow start).
  delayMs?: number;
}

export interface RigOptions {
  // group1 (primary) and group2 (standby): a node and its backup each.
  g1?: NodeSpec;
  g2?: NodeSpec;
  nginx?: Record<string, unknown>;
  health?: Record<string, unknown>;
  switch?: Record<string, unknown>;
  // First content of the live upstream file (default: group1 rendered).
  upstreamText?: string;
  // nginx.conf includes conf.d/*.conf rather than the upstream file by name.
  glob?: boolean;
  nginxWorkers?: number;
  // The seed's nginx-home layout (see NginxOptions.home).
  nginxHome?: 'conf' | 'builtin';
}

export interface Rig {
  sv: Supervisord;
  nginx: Nginx;
  cfgPath: string;
  config: Record<string, any>;
  ports: Record<string, number>;
  runtimeDir: string;
  stateDir: string;
  writeConfig(change?: (c: Record<string, any>) => void): Promise<void>;
  // Starts nodes through supervisord and waits until each answers straight (not through nginx:
  // an early 502 there would mark the node failed for nginx's fail_timeout).
  startNodes(...names: string[]): Promise<void>;
  stop(): Promise<void>;
}

export const NODES = ['g1', 'g1-backup', 'g2', 'g2-backup'] as const;

// supervisord running four backend nodes (as programs, not started), nginx in front, and a
// config.json in the seed's shape pointing at both, with short timings.
export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const ports: Record<string, number> = {};
  for (const n of NODES) ports[n] = await freePort();
  const spec = (n: string): NodeSpec => (n.startsWith('g1') ? (opts.g1 ?? { version: 'v1' }) : (opts.g2 ?? { version: 'v2' }));
  const programs = Object.fromEntries(
    NODES.map((n) => {
      const s = spec(n);
      const cmd = [process.execPath, BACKEND, ports[n], `${s.version}${n.endsWith('backup') ? '-backup' : ''}`, s.mode ?? 'ok', s.delayMs ?? 0, n].join(' ');
      return [n, { command: cmd, stopwaitsecs: 5 }];
    }),
  );
  const sv = await startSupervisord({ programs });
  const node = (n: string) => ({
    'health-check-url': `http://127.0.0.1:${ports[n]}/`,
    'upstream-url': `127.0.0.1:${ports[n]}`,
    'supervisor-program': n,
    backup: n.endsWith('backup'),
  });
  const runtimeDir = join(sv.dir, 'runtime');
  const stateDir = join(sv.dir, 'state');
  await mkdir(runtimeDir, { recursive: true });
  const config: Record<string, any> = {
    'project-name': 'bg-test',
    'state-dir': stateDir,
    'runtime-dir': runtimeDir,
    supervisor: { 'server-url': sv.url, 'registry-dirs': [sv.registryDir] },
    nginx: {
      'nginx-home': '/usr',
      'nginx-reload-cmd': '',
      'nginx-test-cmd': '',
      'upstream-conf-path': '',
      'pid-file': '',
      upstream: {
        'upstream-name': 'jetty',
        keepalive: 1,
        'node-group': {
          group1: { nodes: { g1: node('g1'), 'g1-backup': node('g1-backup') }, 'default-group': 'primary' },
          group2: { nodes: { g2: node('g2'), 'g2-backup': node('g2-backup') }, 'default-group': 'standby' },
        },
      },
      health: { 'interval-ms': 200, 'timeout-ms': 2000, 'fail-threshold': 2, ...opts.health },
      switch: { 'health-passes': 2, 'health-deadline-ms': 15_000, 'verify-window-ms': 300, 'drain-ms': 300, 'check-interval-ms': 100, ...opts.switch },
      ...opts.nginx,
    },
  };
  const initial = opts.upstreamText ?? renderUpstream(config.nginx, 'group1', {});
  let nginx: Nginx;
  try {
    nginx = await startNginx({
      upstreamName: 'jetty',
      upstreamText: initial,
      glob: !!opts.glob,
      workers: opts.nginxWorkers ?? 1,
      ...(opts.nginxHome ? { home: opts.nginxHome } : {}),
    });
  } catch (err) {
    await sv.stop();
    throw err;
  }
  Object.assign(config.nginx, {
    'nginx-reload-cmd': nginx.reloadCmd,
    'nginx-test-cmd': nginx.testCmd,
    'upstream-conf-path': nginx.upstreamPath,
    'pid-file': nginx.pidFile,
    ...opts.nginx,
  });
  config.nginx.switch['verify-url'] ??= nginx.url;
  const cfgPath = join(sv.dir, 'config.json');
  const rig: Rig = {
    sv,
    nginx,
    cfgPath,
    config,
    ports,
    runtimeDir,
    stateDir,
    async writeConfig(change) {
      change?.(config);
      await writeJson(cfgPath, config);
    },
    async startNodes(...names) {
      for (const n of names) await sv.client().startProcess(n);
      for (const n of names) {
        await waitFor(`${n} to answer`, async () => (await get(`http://127.0.0.1:${ports[n]}/`).catch(() => undefined)) !== undefined, 20_000);
      }
    },
    async stop() {
      await nginx.stop().catch(() => {});
      await sv.stop();
    },
  };
  await rig.writeConfig();
  return rig;
}

// Runs supha in the background and resolves when its stdout matches `re`.
export function spawnUntil(args: string[], re: RegExp) {
  const child = spawn(process.execPath, [SUPHA_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const seen = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += String(d);
      if (re.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`supha exited ${code} before ${re}: ${out}`)));
  });
  let err = '';
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { child, seen, exited, stderr: () => err, stdout: () => out };
}
