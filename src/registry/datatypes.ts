import { hostname } from 'node:os';
import { IniError, strip } from './ini.js';

// supervisord's value readers (supervisor/datatypes.py, options.py's expand), for the options
// supha reads: what they accept and what they refuse is what supervisord accepts and refuses.

const TRUTHY = ['yes', 'true', 'on', '1'];
const FALSY = ['no', 'false', 'off', '0'];

export function boolean(s: string, where: string): boolean {
  const v = s.toLowerCase();
  if (TRUTHY.includes(v)) return true;
  if (FALSY.includes(v)) return false;
  throw new IniError(`${where}: not a valid boolean value: ${JSON.stringify(s)}`);
}

// Python's int(): optional sign, decimal digits with single underscores between them, spaces
// around.
export function integer(s: string, where: string): number {
  const m = /^([+-]?)(\d+(?:_\d+)*)$/.exec(strip(s));
  if (!m?.[2]) throw new IniError(`${where}: not an integer: ${JSON.stringify(s)}`);
  return Number(`${m[1]}${m[2].replaceAll('_', '')}`);
}

// datatypes.process_or_group_name: stripped, no space, colon or slash.
export function processOrGroupName(s: string, where: string): string {
  const name = strip(s);
  const bad = [' ', ':', '/'].find((c) => name.includes(c));
  if (bad) throw new IniError(`${where}: invalid name ${JSON.stringify(s)} because of character ${JSON.stringify(bad)}`);
  return name;
}

// Python's `s % expansions` as supervisord applies it to every option it reads: %(name)s takes
// a value, %% is a %, anything else is an error. ENV_X comes from this process's environment,
// which is supervisord's only where both were started alike.
export function expand(s: string, names: Record<string, string>, where: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/%(?:\(([^)]*)\)s|%|(.?))/g, (whole, key: string | undefined, other: string | undefined) => {
    if (whole === '%%') return '%';
    if (key === undefined || other !== undefined) throw new IniError(`${where}: badly formatted: ${JSON.stringify(s)}`);
    const v = key.startsWith('ENV_') ? process.env[key.slice(4)] : Object.hasOwn(names, key) ? names[key] : undefined;
    if (v === undefined) throw new IniError(`${where}: ${JSON.stringify(s)} names %(${key})s, which cannot be expanded`);
    return v;
  });
}

export function commonExpansions(program: string, group: string): Record<string, string> {
  return { program_name: program, group_name: group, host_node_name: hostname() };
}
