import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseIni } from './ini.js';

export { type IniSection, parseIni } from './ini.js';

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

// Files supervisord would include from a registry folder: *.conf and *.ini, no hidden or
// editor temp files.
export function isRegistryFile(name: string): boolean {
  return /^[^.~#][^/]*\.(conf|ini)$/.test(name) && !name.endsWith('~');
}

export function entriesOf(text: string, file: string): RegistryEntry[] {
  const out: RegistryEntry[] = [];
  for (const s of parseIni(text)) {
    const m = /^([a-z-]+):(.+)$/.exec(s.name);
    if (!m?.[1] || !m[2]) continue;
    const kind = m[1] as SectionKind;
    if (!KINDS.includes(kind)) continue;
    out.push({
      name: m[2].trim(),
      kind,
      file,
      autostart: (s.values.autostart ?? 'true').toLowerCase() !== 'false',
      priority: Number(s.values.priority ?? 999) || 999,
      programs:
        kind === 'group'
          ? (s.values.programs ?? '')
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean)
          : [],
    });
  }
  return out;
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
