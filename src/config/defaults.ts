// Defaults shared by the schema (zod) and the light loader (lite.ts, which must not load zod).
export const DEFAULT_CONFIG_PATH = '/etc/supha/config.json';
// --config, else SUPHA_CONFIG, else the default.
export function configPathFrom(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env.SUPHA_CONFIG ?? DEFAULT_CONFIG_PATH;
}

export const DEFAULT_STATE_DIR = '/var/lib/supha';

export const SUPERVISOR_DEFAULTS = {
  'server-url': 'unix:///var/run/supervisor.sock',
  'registry-dirs': ['/etc/supervisor/conf.d'],
  'timeout-ms': 10_000,
  'wait-timeout-ms': 120_000,
} as const;

// The agent's control socket, relative to state-dir, when ha.agent.control-socket is not set.
export const CONTROL_SOCKET_NAME = 'agent.sock';
