import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { configPathFrom, DEFAULT_CONFIG_PATH } from './defaults.js';
import { checkRules, type Problem } from './rules.js';
import { configSchema, type RawConfig } from './schema.js';

// Here too for the callers that import them from load.js (defaults.ts does not load zod).
export { configPathFrom, DEFAULT_CONFIG_PATH };

// A loaded config: validated, with every path resolved against the config file's folder.
export type Config = RawConfig & { 'runtime-dir': string; configPath: string };

export class ConfigError extends UsageError {
  override name = 'ConfigError';
  constructor(
    readonly configPath: string,
    readonly problems: Problem[],
  ) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: run supha config check)` : '';
    super(`${configPath}: ${first ? `${first.path}: ${first.message}` : 'invalid'}${more}`);
  }
}

export async function loadConfig(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const path = resolve(configPathFrom(explicit, env));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err);
    throw new UsageError(`config ${path}: ${why} (set --config or SUPHA_CONFIG)`);
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, path: string): Config {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config ${path}: invalid JSON: ${(err as Error).message}`);
  }
  const parsed = configSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new ConfigError(path, formatIssues(parsed.error.issues));
  const problems = checkRules(parsed.data);
  if (problems.length > 0) throw new ConfigError(path, problems);
  return resolvePaths(parsed.data, path);
}

function resolvePaths(cfg: RawConfig, configPath: string): Config {
  const dir = dirname(configPath);
  const at = (p: string) => resolve(dir, p);
  const out: Config = {
    ...cfg,
    configPath,
    'state-dir': at(cfg['state-dir']),
    // The seed's layout: conf/config.json beside runtime/; elsewhere (/etc/supha) under the state dir.
    'runtime-dir': at(cfg['runtime-dir'] ?? (basename(dir) === 'conf' ? resolve(dir, '..', 'runtime') : join(at(cfg['state-dir']), 'runtime'))),
    supervisor: { ...cfg.supervisor, 'registry-dirs': cfg.supervisor['registry-dirs'].map(at) },
  };
  // An optional path that is absent stays absent (no key holding undefined): the config is plain
  // JSON, as the fast loader's cache keeps it (lite.ts).
  const maybe = <K extends string>(key: K, p: string | undefined) => (p === undefined ? {} : ({ [key]: at(p) } as Record<K, string>));
  if (cfg.nginx) {
    out.nginx = { ...cfg.nginx, 'upstream-conf-path': at(cfg.nginx['upstream-conf-path']), 'pid-file': at(cfg.nginx['pid-file']) };
  }
  if (cfg.ha) {
    const sets = Object.fromEntries(Object.entries(cfg.ha['service-sets']).map(([k, s]) => [k, { ...s, registry: at(s.registry) }]));
    const peers = Object.fromEntries(Object.entries(cfg.ha.peers).map(([k, p]) => [k, { ...p, ...maybe('password-file', p['password-file']) }]));
    out.ha = {
      ...cfg.ha,
      keepalived: { ...cfg.ha.keepalived, 'notify-fifo': at(cfg.ha.keepalived['notify-fifo']), 'pid-file': at(cfg.ha.keepalived['pid-file']) },
      'service-sets': sets,
      peers,
      agent: {
        ...cfg.ha.agent,
        ...maybe('token-file', cfg.ha.agent['token-file']),
        ...maybe('control-socket', cfg.ha.agent['control-socket']),
        ...maybe('log-file', cfg.ha.agent['log-file']),
      },
    };
    const q = cfg.ha.quorum;
    if (q) {
      const tls = q.tls && { ...maybe('ca-file', q.tls['ca-file']), ...maybe('cert-file', q.tls['cert-file']), ...maybe('key-file', q.tls['key-file']) };
      out.ha.quorum = {
        ...q,
        prefix: q.prefix ?? `/supha/${cfg['project-name']}`,
        'host-id-file': q['host-id-file'] ? at(q['host-id-file']) : join(out['state-dir'], 'quorum-host-id'),
        ...(tls ? { tls } : {}),
        ...(q.auth ? { auth: { ...q.auth, 'password-file': at(q.auth['password-file']) } } : {}),
      };
    }
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(top level)';
}

// Every zod issue as `path: message`, in words an operator reads without knowing zod.
export function formatIssues(issues: readonly z.core.$ZodIssue[]): Problem[] {
  const out: Problem[] = [];
  for (const iss of issues) {
    const path = joinPath(iss.path);
    switch (iss.code) {
      case 'invalid_type':
        if (iss.input === undefined) out.push({ path, message: `required ${iss.expected} is missing` });
        else if (iss.expected === 'int' && typeof iss.input === 'number') out.push({ path, message: `expected a whole number, got ${iss.input}` });
        else out.push({ path, message: `expected ${iss.expected}, got ${typeName(iss.input)}` });
        break;
      case 'unrecognized_keys':
        for (const key of iss.keys) out.push({ path: joinPath([...iss.path, key]), message: 'unknown key' });
        break;
      case 'invalid_value':
        out.push({ path, message: `expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(iss.input)}` });
        break;
      case 'too_small':
      case 'too_big': {
        const n = iss.origin === 'number' || iss.origin === 'int';
        const word = iss.code === 'too_small' ? (iss.inclusive ? 'at least' : 'above') : iss.inclusive ? 'at most' : 'below';
        const bound = Number(iss.code === 'too_small' ? iss.minimum : iss.maximum);
        if (n) out.push({ path, message: `expected a number ${word} ${bound}, got ${JSON.stringify(iss.input)}` });
        else if (iss.code === 'too_small' && bound === 1 && iss.origin === 'string') out.push({ path, message: 'must not be empty' });
        else if (iss.code === 'too_small' && bound === 1 && iss.origin === 'array') out.push({ path, message: 'expected at least one item' });
        else out.push({ path, message: `expected ${word} ${bound} ${iss.origin === 'string' ? 'characters' : 'items'}` });
        break;
      }
      case 'invalid_format': {
        // A pattern's own message says what it wants; zod's default ("Invalid string: must match
        // pattern") does not, so name the pattern then.
        const want = iss.format !== 'regex' ? iss.format : iss.message.startsWith('Invalid') ? `a value matching ${String(iss.pattern)}` : iss.message;
        out.push({ path, message: `expected ${want}, got ${JSON.stringify(iss.input)}` });
        break;
      }
      default:
        out.push({ path, message: iss.message });
    }
  }
  return out;
}
