import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SupervisorClient } from '../../src/supervisor/index.js';
import { stopChild, tempDir, waitFor } from './tmp.js';

export interface ProgramSpec {
  command: string;
  autostart?: boolean;
  autorestart?: boolean | 'unexpected';
  startsecs?: number;
  startretries?: number;
  stopwaitsecs?: number;
  priority?: number;
  numprocs?: number;
  extra?: Record<string, string | number | boolean>;
}

export interface SupervisordOptions {
  programs?: Record<string, ProgramSpec>;
  inet?: { port: number; username?: string; password?: string };
  // Extra [include] globs besides <dir>/conf.d/*.conf.
  include?: string[];
  // Raw text appended to supervisord.conf (an [eventlistener:x], say).
  extraConf?: string;
  dir?: string;
  // argv prefix to run supervisord under, e.g. ['ip', 'netns', 'exec', NS] (it must exec).
  wrap?: string[];
  // The whole supervisord.conf (a shipped example adapted to the host) and the unix socket it
  // names; include, inet and extraConf are then not used.
  confText?: string;
  socketPath?: string;
}

export interface Supervisord {
  dir: string;
  socketPath: string;
  url: string;
  registryDir: string;
  confPath: string;
  pid: number;
  client(opts?: { timeoutMs?: number; url?: string; username?: string; password?: string }): SupervisorClient;
  writeProgram(name: string, spec: ProgramSpec, file?: string): Promise<string>;
  stop(): Promise<void>;
}

export function programConf(name: string, spec: ProgramSpec): string {
  const lines = [
    `[program:${name}]`,
    `command=${spec.command}`,
    `autostart=${spec.autostart ?? false}`,
    `autorestart=${spec.autorestart ?? false}`,
    `startsecs=${spec.startsecs ?? 0}`,
    `startretries=${spec.startretries ?? 0}`,
    `stopwaitsecs=${spec.stopwaitsecs ?? 2}`,
    'stopasgroup=true',
    'killasgroup=true',
  ];
  if (spec.priority !== undefined) lines.push(`priority=${spec.priority}`);
  if (spec.numprocs !== undefined) lines.push(`numprocs=${spec.numprocs}`, 'process_name=%(program_name)s_%(process_num)02d');
  for (const [k, v] of Object.entries(spec.extra ?? {})) lines.push(`${k}=${v}`);
  return `${lines.join('\n')}\n`;
}

// A real supervisord in a temp dir with its own unix socket, stopped by its PID.
export async function startSupervisord(opts: SupervisordOptions = {}): Promise<Supervisord> {
  const tmp = opts.dir ? { dir: opts.dir, cleanup: async () => {} } : await tempDir('supha-sv-');
  const dir = tmp.dir;
  const registryDir = join(dir, 'conf.d');
  await mkdir(registryDir, { recursive: true });
  await mkdir(join(dir, 'logs'), { recursive: true });
  const socketPath = opts.socketPath ?? join(dir, 'supervisor.sock');
  const confPath = join(dir, 'supervisord.conf');
  const include = [join(registryDir, '*.conf'), ...(opts.include ?? [])].join(' ');
  const inet = opts.inet
    ? `[inet_http_server]\nport=127.0.0.1:${opts.inet.port}\n${opts.inet.username ? `username=${opts.inet.username}\npassword=${opts.inet.password}\n` : ''}`
    : '';
  await writeFile(
    confPath,
    opts.confText ??
      `[unix_http_server]
file=${socketPath}
chmod=0700

${inet}
[supervisord]
logfile=${join(dir, 'supervisord.log')}
pidfile=${join(dir, 'supervisord.pid')}
childlogdir=${join(dir, 'logs')}
nodaemon=true
loglevel=info

[supervisorctl]
serverurl=unix://${socketPath}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[include]
files = ${include}
${opts.extraConf ?? ''}
`,
  );
  const writeProgram = async (name: string, spec: ProgramSpec, file = `${name}.conf`) => {
    const path = join(registryDir, file);
    await writeFile(path, programConf(name, spec));
    return path;
  };
  for (const [name, spec] of Object.entries(opts.programs ?? {})) await writeProgram(name, spec);

  const argv = [...(opts.wrap ?? []), 'supervisord', '-n', '-c', confPath];
  const child: ChildProcess = spawn(argv[0] ?? '', argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `unix://${socketPath}`;
  const client = (o: { timeoutMs?: number; url?: string; username?: string; password?: string } = {}) =>
    new SupervisorClient({ url: o.url ?? url, timeoutMs: o.timeoutMs ?? 5_000, waitTimeoutMs: 30_000, username: o.username, password: o.password });
  try {
    await waitFor('supervisord to answer', async () => {
      if (child.exitCode !== null) throw new Error(`supervisord exited: ${stderr}`);
      return (await client().getState()).statename === 'RUNNING';
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const pid = child.pid ?? 0;
  return {
    dir,
    socketPath,
    url,
    registryDir,
    confPath,
    pid,
    client,
    writeProgram,
    async stop() {
      await stopChild(child, exited);
      await tmp.cleanup();
    },
  };
}
