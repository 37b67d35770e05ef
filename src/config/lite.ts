import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlSocketPath } from '../agent/paths.js';
import { configPathFrom, DEFAULT_STATE_DIR } from './defaults.js';
import type { Config } from './load.js';

// The fast door to the one config loader (load.ts: zod decides what is valid). zod and the schema
// take ~100 ms to load, more than `supzcli status` may spend, so the loader's verdict on a config
// file is remembered in <state-dir>/config-cache.json: the file's path and text, a fingerprint of
// the schema's modules and of zod, and the validated config. A run whose file, schema and zod are
// those of the cache takes the config from it; anything else goes through loadConfig (and its
// error messages) and refreshes the cache. The cache is trusted only when it is this user's (or
// root's) and writable by nobody else.

const CACHE = 'config-cache.json';
const VERSION = 1;

interface Cache {
  version: number;
  path: string;
  text: string;
  schema: string;
  config: Config;
}

export async function loadConfigFast(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const path = resolve(configPathFrom(explicit, env));
  let text: string | undefined;
  try {
    // Sync: node:fs is already loaded at start-up, node:fs/promises is not.
    text = readFileSync(path, 'utf8');
  } catch {
    text = undefined;
  }
  const cacheFile = text === undefined ? undefined : cacheFileOf(text, path);
  const schema = fingerprint();
  if (cacheFile !== undefined && text !== undefined && schema !== undefined) {
    const hit = readCache(cacheFile);
    if (hit && hit.version === VERSION && hit.path === path && hit.text === text && hit.schema === schema) return hit.config;
  }
  const { loadConfig, parseConfig } = await import('./load.js');
  const cfg = text === undefined ? await loadConfig(path, env) : parseConfig(text, path);
  if (text !== undefined && schema !== undefined) {
    // Where the validated config says its state dir is (the raw one may have been anything).
    const { writeFileAtomic } = await import('../util/atomic.js');
    const body: Cache = { version: VERSION, path, text, schema, config: cfg };
    await writeFileAtomic(join(cfg['state-dir'], CACHE), JSON.stringify(body), 0o600).catch(() => {});
  }
  return cfg;
}

// The cache of a config file: in the state dir the file names (resolved as the loader does).
function cacheFileOf(text: string, path: string): string | undefined {
  try {
    const raw = JSON.parse(text) as { 'state-dir'?: unknown };
    const dir = raw['state-dir'] ?? DEFAULT_STATE_DIR;
    return typeof dir === 'string' ? join(resolve(dirname(path), dir), CACHE) : undefined;
  } catch {
    return undefined;
  }
}

function readCache(file: string): Cache | undefined {
  try {
    const st = statSync(file);
    const uid = process.getuid?.() ?? -1;
    if ((st.uid !== uid && st.uid !== 0) || (st.mode & 0o022) !== 0) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as Cache;
  } catch {
    return undefined;
  }
}

// What decides validity besides the file: the schema's modules and zod, by size and mtime (a
// rebuild or an upgrade changes them). Undefined when they cannot be found: no cache then.
const MODULES = ['schema.js', 'schema-ha.js', 'schema-nginx.js', 'rules.js', 'load.js', 'defaults.js'];
function fingerprint(): string | undefined {
  try {
    const files = [...MODULES.map((m) => fileURLToPath(new URL(m, import.meta.url))), zodPackage()];
    return files
      .map((f) => statSync(f))
      .map((st) => `${st.size}:${st.mtimeMs}`)
      .join(' ');
  } catch {
    return undefined;
  }
}

// zod's package.json: beside dist/ in the usual layout (a stat); else where node resolves it
// (import.meta.resolve costs ~3 ms, a tenth of what `supzcli status` may spend on itself).
function zodPackage(): string {
  const near = fileURLToPath(new URL('../../../node_modules/zod/package.json', import.meta.url));
  try {
    statSync(near);
    return near;
  } catch {
    return fileURLToPath(import.meta.resolve('zod/package.json'));
  }
}

// The keys supzcli reads, from a validated config.
export interface LiteConfig {
  configPath: string;
  'state-dir': string;
  supervisor: Config['supervisor'];
  // ha.service-sets: each set's name and its registry, resolved.
  serviceSets: Record<string, string>;
  // The agent's control socket (as agent/paths.ts controlSocketPath).
  controlSocket: string;
  refuseVerbs: string[];
}

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
