import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { boolean, commonExpansions, expand, integer, processOrGroupName } from './datatypes.js';
import { IniError, parseIni, strip } from './ini.js';

export { IniError, type IniSection, parseIni } from './ini.js';

export type SectionKind = 'program' | 'group' | 'fcgi-program' | 'eventlistener';

// One supervisord group defined by a registry file: `[program:x]` gives group x.
export interface RegistryEntry {
  // The group name supervisord knows (what addProcessGroup/removeProcessGroup take).
  name: string;
  kind: SectionKind;
  file: string;
  autostart: boolean;
  priority: number;
  // For [group:x], its programs.
  programs: string[];
}

const KINDS: readonly SectionKind[] = ['program', 'group', 'fcgi-program', 'eventlistener'];

// Files supervisord includes from a registry folder: what the shipped `[include]`
// (supervisor/supervisord.conf.example: `files = /etc/supervisor/registry/*/*.conf`) matches, as
// Python's glob does — `*.conf`, case-sensitive, no name starting with a dot. Not `*.ini`: the
// shipped include would never load it, so supha must not manage it.
export function isRegistryFile(name: string): boolean {
  return /^[^./][^/]*\.conf$/.test(name);
}

// The groups a registry file defines, read as supervisord 4.2.5 reads them (options.py
// process_groups_from_parser / processes_from_section). Throws IniError for a file supervisord
// would refuse (bad syntax, a bad boolean, integer or name).
export function entriesOf(text: string, file: string): RegistryEntry[] {
  const out: RegistryEntry[] = [];
  for (const s of parseIni(text, file)) {
    const colon = s.name.indexOf(':');
    const kind = s.name.slice(0, colon) as SectionKind;
    if (colon < 0 || !KINDS.includes(kind)) continue;
    const where = `${file}: [${s.name}]`;
    const name = processOrGroupName(s.name.slice(colon + 1), where);
    const names = kind === 'group' ? {} : commonExpansions(name, name);
    const get = (key: string, fallback: string) => expand(s.values[key] ?? fallback, names, `${where} ${key}`);
    out.push({
      name,
      kind,
      file,
      // supervisord reads autostart for processes only; a [group:] has none.
      autostart: kind === 'group' ? true : boolean(get('autostart', 'true'), `${where} autostart`),
      // Event listeners default to -1 so they start first (options.py).
      priority: integer(get('priority', kind === 'eventlistener' ? '-1' : '999'), `${where} priority`),
      programs: kind === 'group' ? groupPrograms(s.values.programs, where) : [],
    });
  }
  return out;
}

// datatypes.list_of_strings: split on commas, strip, empty names kept (and then unknown).
function groupPrograms(raw: string | undefined, where: string): string[] {
  if (!raw) return [];
  const programs = expand(raw, {}, `${where} programs`).split(',').map(strip);
  if (programs.includes('')) throw new IniError(`${where}: programs names an empty program`);
  return programs;
}

// Every group defined in the registry folders, in supervisord priority order. A folder that does
// not exist is empty.
export async function scanRegistry(dirs: readonly string[]): Promise<RegistryEntry[]> {
  const out: RegistryEntry[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const name of names.filter(isRegistryFile).sort()) {
      const file = join(dir, name);
      out.push(...entriesOf(await readFile(file, 'utf8'), file));
    }
  }
  return out.sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
}
export { groupOfMember, groupsOf, type RegistryGroup } from './groups.js';
