import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { UserError } from '../errors.js';
import { nginxOf } from '../health/round.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';

// One role in node-group-status.json, keys exactly as the seed's file.
export interface GroupRole {
  'group-name': string;
  nodes: string[];
}

export interface Roles {
  standby: GroupRole;
  primary: GroupRole;
}

export function rolesPath(cfg: Config): string {
  return join(cfg['runtime-dir'], 'node-group-status.json');
}

function roleOf(cfg: Config, group: string): GroupRole {
  const spec = nginxOf(cfg).upstream['node-group'][group];
  if (!spec) throw new UserError(`${rolesPath(cfg)}: group "${group}" is not in nginx.upstream.node-group`);
  return { 'group-name': group, nodes: Object.keys(spec.nodes) };
}

// The roles the config starts with (`default-group`).
export function defaultRoles(cfg: Config): Roles {
  const groups = Object.entries(nginxOf(cfg).upstream['node-group']);
  const find = (role: string) => groups.find(([, g]) => g['default-group'] === role)?.[0] ?? '';
  return { standby: roleOf(cfg, find('standby')), primary: roleOf(cfg, find('primary')) };
}

// With nginx.service-set, the roles also live in the set's registry, so they replicate with it:
// a .conf file of comments only (supervisord reads nothing from it; rsync and the registry
// watch carry it like any conf), its last line the JSON of node-group-status.json.
export function setRolesPath(cfg: Config): string | undefined {
  const name = cfg.nginx?.['service-set'];
  const set = name === undefined ? undefined : cfg.ha?.['service-sets'][name];
  return set ? join(set.registry, 'supha-node-group-status.conf') : undefined;
}

const SET_FILE_HEAD = [
  '; Written by supha switch: the blue/green group roles of this service set, as in',
  '; node-group-status.json. Comments only: supervisord defines nothing from this file. Do not edit.',
];

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

// The current roles: the set's registry copy (nginx.service-set), else node-group-status.json,
// else the config's defaults. Node lists always come from the config (a node added to a group
// shows up at once).
export async function readRoles(cfg: Config): Promise<Roles> {
  const setPath = setRolesPath(cfg);
  const inSet = setPath === undefined ? undefined : await readText(setPath);
  const json = inSet?.trim().split('\n').at(-1)?.replace(/^;\s*/, '');
  const path = json !== undefined && setPath !== undefined ? setPath : rolesPath(cfg);
  const text = json ?? (await readText(path));
  if (text === undefined) return defaultRoles(cfg);
  let data: Partial<Record<'primary' | 'standby', Partial<GroupRole>>>;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: invalid JSON (${(err as Error).message})`);
  }
  const p = data?.primary?.['group-name'];
  const s = data?.standby?.['group-name'];
  if (typeof p !== 'string' || typeof s !== 'string' || p === s) {
    throw new UserError(`${path}: expected {"primary": {"group-name": …}, "standby": {"group-name": …}} naming two different groups`);
  }
  return { standby: roleOf(cfg, s), primary: roleOf(cfg, p) };
}

// Writes node-group-status.json (the seed's shape) and, with nginx.service-set, the set's copy.
export async function writeRoles(cfg: Config, roles: Roles): Promise<void> {
  const data = { standby: roles.standby, primary: roles.primary };
  const setPath = setRolesPath(cfg);
  if (setPath !== undefined) await writeFileAtomic(setPath, `${[...SET_FILE_HEAD, `; ${JSON.stringify(data)}`].join('\n')}\n`);
  await writeJsonAtomic(rolesPath(cfg), data);
}

// The runtime file as readRoles sees the roles (after a failover it may lag the set's copy).
export async function syncRolesMirror(cfg: Config): Promise<boolean> {
  if (setRolesPath(cfg) === undefined) return false;
  const roles = await readRoles(cfg);
  const want = { standby: roles.standby, primary: roles.primary };
  const have = await readText(rolesPath(cfg));
  const same = (() => {
    try {
      return have !== undefined && JSON.stringify(JSON.parse(have)) === JSON.stringify(want);
    } catch {
      return false;
    }
  })();
  if (same) return false;
  await writeJsonAtomic(rolesPath(cfg), want);
  return true;
}

export function rolesFor(cfg: Config, primary: string, standby: string): Roles {
  return { standby: roleOf(cfg, standby), primary: roleOf(cfg, primary) };
}

export function swapped(roles: Roles): Roles {
  return { standby: roles.primary, primary: roles.standby };
}

// The version each group last got from `switch --upgrade VERSION`, beside the seed's runtime files.
export const versionsPath = (cfg: Config) => join(cfg['runtime-dir'], 'node-group-versions.json');

export async function recordVersion(cfg: Config, group: string, version: string): Promise<void> {
  const text = await readFile(versionsPath(cfg), 'utf8').catch(() => '{}');
  let all: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) all = parsed as Record<string, unknown>;
  } catch {
    // unreadable: rewritten whole
  }
  all[group] = { version, 'deployed-at': new Date().toISOString() };
  await writeJsonAtomic(versionsPath(cfg), all);
}
