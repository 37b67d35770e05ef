import { UsageError, UserError } from '../errors.js';
import { groupOfMember, groupsOf, type RegistryGroup, scanRegistry } from '../registry/index.js';
import type { ProcessInfo } from '../supervisor/types.js';
import { type Ctx, parkedDir, registryDirs } from './context.js';
import { nameProblem, splitNamespec } from './names.js';
import { storeDirs } from './park.js';
import { migrateParked } from './park-migrate.js';
import { Refused } from './refuse.js';

// What supzcli knows before acting: supervisord's processes, the registry and the parked store.
export interface View {
  infos: ProcessInfo[];
  loaded: Map<string, ProcessInfo[]>;
  registry: Map<string, RegistryGroup>;
  parked: Map<string, RegistryGroup>;
}

export async function viewOf(ctx: Ctx): Promise<View> {
  const scan = (dirs: string[]) =>
    scanRegistry(dirs).then(({ entries, problems }) => {
      if (problems.length > 0) throw new UserError(`cannot read ${problems.map((p) => `${p.path}: ${p.message}`).join(', ')}`);
      return entries;
    });
  const root = parkedDir(ctx.cfg);
  for (const w of await migrateParked(root, registryDirs(ctx.cfg))) ctx.io.err(`supzcli: warning: ${w}`);
  const [infos, reg, parked] = await Promise.all([ctx.client.getAllProcessInfo(), scan(registryDirs(ctx.cfg)), storeDirs(root).then(scan)]);
  const loaded = new Map<string, ProcessInfo[]>();
  for (const i of infos) loaded.set(i.group, [...(loaded.get(i.group) ?? []), i]);
  return { infos, loaded, registry: groupsOf(reg), parked: groupsOf(parked) };
}

export interface Target {
  name: string;
  group: string;
  // undefined: the whole group.
  process: string | undefined;
}

// Checks every name before anything is touched: its characters, and that it is a registered,
// parked (when `parkedOk`) or loaded program. Throws Refused naming the first bad one.
export function resolveNames(view: View, names: readonly string[], verb: string, parkedOk: boolean): Target[] {
  if (names.length === 0) throw new UsageError(`${verb} needs a program name (supzcli help ${verb})`);
  return names.map((name) => {
    const problem = nameProblem(name);
    if (problem) throw new Refused(`refused: "${name}": ${problem}`);
    const { group, process } = splitNamespec(name);
    const member = groupOfMember(view.registry, group);
    if (process === group && member !== undefined && !view.loaded.has(group)) {
      throw new Refused(`refused: "${name}" is a program of group ${member}: name it ${member}:${name} or ${member}:*`);
    }
    const known = view.loaded.has(group) || view.registry.has(group) || (parkedOk && view.parked.has(group));
    if (!known) {
      const parked = view.parked.has(group) ? ` (it is parked: supzcli start ${group})` : '';
      throw new Refused(`refused: "${name}" is not a registered or loaded program${parked}`);
    }
    return { name, group, process: process === group && !view.loaded.get(group)?.some((i) => i.name === group) ? undefined : process };
  });
}

// Files shared by several groups move together: refuses when a named group's file also defines
// a group that was not named.
export function checkWholeFiles(groups: ReadonlyMap<string, RegistryGroup>, named: ReadonlySet<string>, verb: string): void {
  for (const g of named) {
    for (const file of groups.get(g)?.files ?? []) {
      const others = [...groups.values()].filter((x) => x.name !== g && x.files.includes(file) && !named.has(x.name)).map((x) => x.name);
      if (others.length > 0) {
        throw new Refused(
          `refused: ${file} defines ${g} and also ${others.join(', ')}: ${verb} them together (supzcli ${verb} ${[g, ...others].join(' ')}) or split the file`,
        );
      }
    }
  }
}

// Verbs that act on supervisord only (restart, signal, clear) need the program loaded.
export function requireLoaded(view: View, targets: readonly Target[], verb: string): void {
  for (const t of targets) {
    if (view.loaded.has(t.group)) continue;
    const hint = view.parked.has(t.group) ? `it is parked: supzcli start ${t.group}` : `load it with supzcli update ${t.group} or supzcli start ${t.group}`;
    throw new Refused(`refused: ${verb} "${t.name}": not loaded in supervisord (${hint})`);
  }
}
