import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
  // How long supervisord waits after the stop signal before SIGKILL (0 for a [group:]).
  stopwaitsecs: number;
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
      stopwaitsecs: kind === 'group' ? 0 : integer(get('stopwaitsecs', '10'), `${where} stopwaitsecs`),
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

// A file or folder the scan could not read: skipped, the rest of the scan goes on. `ignored`: a
// file that looks like a program conf but is not named *.conf, so nothing loads it (a warning).
export interface RegistryProblem {
  path: string;
  message: string;
  ignored?: true;
}

export interface RegistryScan {
  entries: RegistryEntry[];
  problems: RegistryProblem[];
}

let scans = 0;

// How many scans this process has made (status and /metrics show it: a request must make none).
export const registryScans = (): number => scans;

// Parsed files by path, kept while the file's inode, size and mtime stay the same: a scan of an
// unchanged registry stats its files and parses none.
const parsed = new Map<string, { key: string; entries: RegistryEntry[] }>();

async function entriesOfFile(file: string): Promise<RegistryEntry[]> {
  const st = await stat(file);
  if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
  const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = parsed.get(file);
  if (hit?.key === key) return hit.entries;
  const entries = entriesOf(await readFile(file, 'utf8'), file);
  parsed.set(file, { key, entries });
  return entries;
}

// A section header supervisord reads programs from.
const SECTION = /^\s*\[(program|group|fcgi-program|eventlistener):/m;
const LOOK_MAX = 256 * 1024;
// Whether a non-*.conf file looks like a program conf, by path, while its inode, size and mtime stay.
const looked = new Map<string, { key: string; conf: boolean }>();

// A file in a registry that is not *.conf but is named *.ini or holds a program section: named,
// never silently skipped (supervisord's include never loads it, so neither does supha).
async function ignoredFile(dir: string, name: string): Promise<RegistryProblem | undefined> {
  const path = join(dir, name);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  let conf = /\.ini$/i.test(name);
  if (!conf && st.size <= LOOK_MAX) {
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = looked.get(path);
    conf = hit?.key === key ? hit.conf : SECTION.test(await readFile(path, 'utf8').catch(() => ''));
    looked.set(path, { key, conf });
  }
  if (!conf) return undefined;
  const as = `${name.replace(/\.(ini|conf\b.*)$/i, '')}.conf`;
  return {
    path,
    ignored: true,
    message: `ignored: not named *.conf, so supervisord's [include] never loads it and supha does not manage it (rename it ${as} to use it, or move it out of the registry)`,
  };
}

const why = (err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EISDIR') return 'is a directory, not a conf file';
  if (e.code === 'EACCES') return 'permission denied';
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
};

// Every group defined in the registry folders, in supervisord priority order. A folder that does
// not exist is empty; a file that cannot be read (a folder named x.conf, no permission, removed
// mid-scan) is left out and named in problems, so one bad entry never hides the others.
export async function scanRegistry(dirs: readonly string[]): Promise<RegistryScan> {
  scans++;
  const entries: RegistryEntry[] = [];
  const problems: RegistryProblem[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ path: dir, message: why(err) });
      continue;
    }
    for (const n of names.filter((x) => !isRegistryFile(x) && !x.startsWith('.'))) {
      const p = await ignoredFile(dir, n);
      if (p) problems.push(p);
    }
    const files = names
      .filter(isRegistryFile)
      .sort()
      .map((n) => join(dir, n));
    for (const k of parsed.keys()) if (dirname(k) === dir && !files.includes(k)) parsed.delete(k);
    const got = await Promise.all(
      files.map((f) =>
        entriesOfFile(f).then(
          (e) => e,
          (err: unknown) => ({ err }),
        ),
      ),
    );
    got.forEach((g, i) => {
      if (Array.isArray(g)) entries.push(...g);
      else {
        const path = files[i] ?? dir;
        parsed.delete(path);
        // NOTE: a file removed between readdir and stat is simply gone: supervisord would not see it either.
        if ((g.err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ path, message: why(g.err) });
      }
    });
  }
  return { entries: entries.sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name)), problems };
}
export { groupOfMember, groupsOf, type RegistryGroup } from './groups.js';
