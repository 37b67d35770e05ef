import { type ChildProcess, spawn } from 'node:child_process';
import { askAgent, type ControlResponse } from '../../src/agent/index.js';
import { SUPHA_BIN } from './cli.js';
import { freePort, waitFor } from './tmp.js';

export interface AgentProc {
  child: ChildProcess;
  pid: number;
  logs(): string;
  status(): Promise<any>;
  stop(): Promise<number | null>;
}

// A real `supha agent` process (optionally inside a network namespace), stopped by its PID.
export async function startAgent(configPath: string, socketPath: string, opts: { prefix?: string[]; env?: Record<string, string> } = {}): Promise<AgentProc> {
  const argv = [...(opts.prefix ?? []), process.execPath, SUPHA_BIN, '--config', configPath, 'agent'];
  const child = spawn(argv[0] ?? '', argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SUPHA_LOG_LEVEL: 'debug', ...opts.env } });
  let logs = '';
  child.stderr?.on('data', (d) => {
    logs += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const status = async () => {
    const res: ControlResponse = await askAgent(socketPath, { op: 'status' }, 3_000);
    if (!res.ok) throw new Error(res.error);
    return res.status;
  };
  try {
    await waitFor(
      'the agent to answer',
      async () => {
        if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${logs.slice(-2000)}`);
        // The control socket answers before the modules (replication) have started: wait for both.
        return logs.includes('"msg":"agent started"') && status();
      },
      20_000,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    pid: child.pid ?? 0,
    logs: () => logs,
    status,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

// The config of a one-set agent beside a lone keepalived (node n1, set `app` on VI_1, FIFO ka.fifo
// and pid file ka.pid in the config's folder, a free loopback port); `agent` adds agent keys.
export async function oneSetConfig(serverUrl: string, registry: string, agent: Record<string, unknown> = {}) {
  return {
    'project-name': 't',
    'state-dir': 'state',
    supervisor: { 'server-url': serverUrl, 'registry-dirs': [] },
    ha: {
      'node-name': 'n1',
      keepalived: { 'notify-fifo': 'ka.fifo', 'pid-file': 'ka.pid' },
      'service-sets': { app: { 'vrrp-instance': 'VI_1', registry } },
      agent: { listen: `127.0.0.1:${await freePort()}`, ...agent },
    },
  };
}
