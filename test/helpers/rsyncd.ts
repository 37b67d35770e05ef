import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, tempDir, waitFor } from './tmp.js';

export interface RsyncdOptions {
  // The folder the module serves; a set's replica lands in <path>/<set>/.
  path: string;
  module?: string;
  // Where it listens: 127.0.0.1 by default, or an address inside `netns`.
  address?: string;
  port?: number;
  // Run inside this network namespace (ip netns exec).
  netns?: string;
  user?: string;
  password?: string;
  // The whole rsyncd.conf (a shipped example adapted to the host, its secrets file written by the
  // caller); module, user and password then only make `url` and the client password file.
  confText?: string;
  // More lines for the module section (e.g. the shipped `pre-xfer exec`).
  moduleLines?: string;
}

export interface Rsyncd {
  pid: number;
  port: number;
  address: string;
  // rsync://user@address:port/module
  url: string;
  // A client password file (mode 0600) for --password-file.
  passwordFile: string;
  confPath: string;
  // Ends the daemon (by PID) and keeps its files, so start() brings it back on the same port.
  kill(): Promise<void>;
  start(): Promise<void>;
  // Ends it and removes its files.
  stop(): Promise<void>;
}

// With ip netns exec when a namespace is named: the command, then its arguments.
export function inNetns(netns: string | undefined, file: string, args: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, file, ...args]] : [file, args];
}

function runQuiet(file: string, args: string[]): Promise<number> {
  return new Promise((resolve) => execFile(file, args, { timeout: 10_000 }, (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0)));
}

// A real `rsync --daemon --no-detach` with its own rsyncd.conf in a temp dir, one writable module
// with a user and password, stopped by its PID.
export async function startRsyncd(opts: RsyncdOptions): Promise<Rsyncd> {
  const tmp = await tempDir('supha-rsyncd-');
  const module = opts.module ?? 'supha';
  const user = opts.user ?? 'supha';
  const password = opts.password ?? 'test-secret';
  const address = opts.address ?? '127.0.0.1';
  const port = opts.port ?? (await freePort());
  await mkdir(opts.path, { recursive: true });
  const secrets = join(tmp.dir, 'rsyncd.secrets');
  await writeFile(secrets, `${user}:${password}\n`, { mode: 0o600 });
  const passwordFile = join(tmp.dir, 'client.password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await chmod(passwordFile, 0o600);
  const confPath = join(tmp.dir, 'rsyncd.conf');
  // uid/gid: a root-run daemon switches to nobody by default (rsyncd.conf(5) "uid").
  await writeFile(
    confPath,
    opts.confText ??
      `pid file = ${join(tmp.dir, 'rsyncd.pid')}
lock file = ${join(tmp.dir, 'rsyncd.lock')}
log file = ${join(tmp.dir, 'rsyncd.log')}
address = ${address}
use chroot = no
uid = ${process.getuid?.() ?? 0}
gid = ${process.getgid?.() ?? 0}

[${module}]
path = ${opts.path}
read only = no
auth users = ${user}
secrets file = ${secrets}
${opts.moduleLines ?? ''}`,
  );
  const [file, args] = inNetns(opts.netns, 'rsync', ['--daemon', '--no-detach', `--config=${confPath}`, `--port=${port}`, `--address=${address}`]);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const kill = async () => {
    const c = child;
    if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
    const pid = c.pid;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => c.exitCode === null && process.kill(pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const start = async () => {
    const c = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const [f, a] = inNetns(opts.netns, 'rsync', [`rsync://${address}:${port}/`]);
    await waitFor('rsync daemon to list its modules', async () => {
      if (c.exitCode !== null) throw new Error(`rsync --daemon exited: ${stderr}`);
      return (await runQuiet(f, a)) === 0;
    });
  };
  const stop = async () => {
    await kill();
    await tmp.cleanup();
  };
  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  const handle: Rsyncd = {
    get pid() {
      return child?.pid ?? 0;
    },
    port,
    address,
    url: `rsync://${user}@${address}:${port}/${module}`,
    passwordFile,
    confPath,
    kill,
    start: async () => {
      await kill();
      await start();
    },
    stop,
  };
  return handle;
}
