// What groupsOf reads of a RegistryEntry (declared here so this file imports nothing).
interface Section {
  name: string;
  kind: string;
  file: string;
  programs: readonly string[];
}

// A group as supervisord will know it once the registry is loaded: `[program:x]` alone is group
// x; `[group:g] programs=a,b` is group g holding a and b (which are then no groups of their own).
export interface RegistryGroup {
  name: string;
  // Every file with a section of this group (the [group:] section and its programs' sections).
  files: string[];
  // Program names inside a [group:]; empty for a plain program.
  members: string[];
}

export function groupsOf(entries: readonly Section[]): Map<string, RegistryGroup> {
  const out = new Map<string, RegistryGroup>();
  const memberOf = new Map<string, string>();
  for (const e of entries) if (e.kind === 'group') for (const p of e.programs) memberOf.set(p, e.name);
  const add = (name: string, file: string, members: readonly string[] = []) => {
    const g = out.get(name) ?? { name, files: [], members: [] };
    if (!g.files.includes(file)) g.files.push(file);
    for (const m of members) if (!g.members.includes(m)) g.members.push(m);
    out.set(name, g);
  };
  for (const e of entries) {
    if (e.kind === 'group') add(e.name, e.file, e.programs);
    else add(memberOf.get(e.name) ?? e.name, e.file);
  }
  return out;
}

// The group a program name belongs to when it is a member of a [group:], else undefined.
export function groupOfMember(groups: ReadonlyMap<string, RegistryGroup>, program: string): string | undefined {
  for (const g of groups.values()) if (g.members.includes(program)) return g.name;
  return undefined;
}
