import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from './load.js';

// The few keys a read-only command (supzcli status, pid, version…) needs, read without zod so it
// starts fast. Defaults and path resolution equal loadConfig's (test/config/lite.test.ts holds
// them in step). Anything off here falls back to loadConfig, so errors read the same.
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
  // Every ha.service-sets.*.registry, resolved.
  setRegistries: string[];
  refuseVerbs: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

export async function loadConfigLite(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<LiteConfig> {
  const path = resolve(explicit ?? env.SUPHA_CONFIG ?? '/etc/supha/config.json');
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
  if (!isObj(data) || !isStr(data['project-name']) || data['project-name'] === '') return undefined;
  const sv = data.supervisor ?? {};
  const ha = data.ha ?? {};
  const z = data.supzcli ?? {};
  if (!isObj(sv) || !isObj(ha) || !isObj(z)) return undefined;
  const url = sv['server-url'] ?? 'unix:///var/run/supervisor.sock';
  const dirs = sv['registry-dirs'] ?? ['/etc/supervisor/conf.d'];
  const timeout = sv['timeout-ms'] ?? 10_000;
  const waitTimeout = sv['wait-timeout-ms'] ?? 120_000;
  const stateDir = data['state-dir'] ?? '/var/lib/supha';
  const refuse = z['refuse-verbs'] ?? [];
  const sets = ha['service-sets'] ?? {};
  if (!isStr(url) || !/^(unix:\/\/\/.+|https?:\/\/.+)$/.test(url) || !strings(dirs) || !isPosInt(timeout) || !isPosInt(waitTimeout)) return undefined;
  if (!isStr(stateDir) || !strings(refuse) || !isObj(sets)) return undefined;
  if ((sv.username !== undefined && !isStr(sv.username)) || (sv.password !== undefined && !isStr(sv.password))) return undefined;
  const setRegistries: string[] = [];
  for (const s of Object.values(sets)) {
    if (!isObj(s) || !isStr(s.registry) || s.registry === '') return undefined;
    setRegistries.push(s.registry);
  }
  const at = (p: string) => resolve(dirname(path), p);
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
    setRegistries: setRegistries.map(at),
    refuseVerbs: refuse,
  };
}

// The same view of a fully validated config.
export function liteOf(cfg: Config): LiteConfig {
  return {
    configPath: cfg.configPath,
    'state-dir': cfg['state-dir'],
    supervisor: cfg.supervisor,
    setRegistries: Object.values(cfg.ha?.['service-sets'] ?? {}).map((s) => s.registry),
    refuseVerbs: cfg.supzcli['refuse-verbs'],
  };
}
