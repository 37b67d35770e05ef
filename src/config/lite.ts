import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { controlSocketPath } from '../agent/paths.js';
import { CONTROL_SOCKET_NAME, configPathFrom, SUPERVISOR_DEFAULTS as D, DEFAULT_STATE_DIR } from './defaults.js';
import { onlyKnownKeys } from './lite-keys.js';
import type { Config } from './load.js';

// The few keys a read-only command (supzcli status, pid, version…) needs, read without zod so it
// starts fast. Defaults (config/defaults.ts) and path resolution equal loadConfig's
// (test/config/lite.test.ts holds them in step). Anything off here, an unknown key included,
// falls back to loadConfig, so errors read the same.
export interface LiteConfig {
  configPath: string;
  'state-dir': string;
  supervisor: {
    'server-url': string;
    username?: string | undefined;
    password?: string | undefined;
    'registry-dirs': string[];
    'timeout-ms': number;
    'wait-timeout-ms': number;
  };
  // ha.service-sets: each set's name and its registry, resolved.
  serviceSets: Record<string, string>;
  // The agent's control socket (as agent/paths.ts controlSocketPath).
  controlSocket: string;
  refuseVerbs: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

export async function loadConfigLite(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<LiteConfig> {
  const path = resolve(configPathFrom(explicit, env));
  let data: unknown;
  try {
    // Sync: node:fs is already loaded at start-up, node:fs/promises is not.
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    data = undefined;
  }
  const lite = pick(data, path);
  if (lite) return lite;
  const { loadConfig } = await import('./load.js');
  return liteOf(await loadConfig(path, env));
}

function pick(data: unknown, path: string): LiteConfig | undefined {
  if (!isObj(data) || !isStr(data['project-name']) || data['project-name'] === '' || !onlyKnownKeys(data)) return undefined;
  const sv = data.supervisor ?? {};
  const ha = data.ha ?? {};
  const z = data.supzcli ?? {};
  if (!isObj(sv) || !isObj(ha) || !isObj(z)) return undefined;
  const agent = ha.agent ?? {};
  const url = sv['server-url'] ?? D['server-url'];
  const dirs = sv['registry-dirs'] ?? [...D['registry-dirs']];
  const timeout = sv['timeout-ms'] ?? D['timeout-ms'];
  const waitTimeout = sv['wait-timeout-ms'] ?? D['wait-timeout-ms'];
  const stateDir = data['state-dir'] ?? DEFAULT_STATE_DIR;
  const socket = isObj(agent) ? agent['control-socket'] : undefined;
  const refuse = z['refuse-verbs'] ?? [];
  const sets = ha['service-sets'] ?? {};
  if (!isStr(url) || !/^(unix:\/\/\/.+|https?:\/\/.+)$/.test(url) || !strings(dirs) || !isPosInt(timeout) || !isPosInt(waitTimeout)) return undefined;
  if (!isStr(stateDir) || !strings(refuse) || !isObj(sets) || !isObj(agent) || (socket !== undefined && !isStr(socket))) return undefined;
  if ((sv.username !== undefined && !isStr(sv.username)) || (sv.password !== undefined && !isStr(sv.password))) return undefined;
  const at = (p: string) => resolve(dirname(path), p);
  const serviceSets: Record<string, string> = {};
  for (const [name, s] of Object.entries(sets)) {
    if (!isObj(s) || !isStr(s.registry) || s.registry === '') return undefined;
    serviceSets[name] = at(s.registry);
  }
  return {
    configPath: path,
    'state-dir': at(stateDir),
    supervisor: {
      'server-url': url,
      ...(isStr(sv.username) ? { username: sv.username } : {}),
      ...(isStr(sv.password) ? { password: sv.password } : {}),
      'registry-dirs': dirs.map(at),
      'timeout-ms': timeout,
      'wait-timeout-ms': waitTimeout,
    },
    serviceSets,
    controlSocket: socket === undefined ? join(at(stateDir), CONTROL_SOCKET_NAME) : at(socket),
    refuseVerbs: refuse,
  };
}

// The same view of a fully validated config.
export function liteOf(cfg: Config): LiteConfig {
  return {
    configPath: cfg.configPath,
    'state-dir': cfg['state-dir'],
    supervisor: cfg.supervisor,
    serviceSets: Object.fromEntries(Object.entries(cfg.ha?.['service-sets'] ?? {}).map(([name, s]) => [name, s.registry])),
    controlSocket: controlSocketPath(cfg),
    refuseVerbs: cfg.supzcli['refuse-verbs'],
  };
}
