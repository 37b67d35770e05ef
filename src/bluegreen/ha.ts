import type { Config } from '../config/index.js';
import { errorMessage, UserError } from '../errors.js';
import { listNodes, nginxOf } from '../health/round.js';
import { type RegistryEntry, scanRegistry } from '../registry/index.js';
import { holderOf } from '../util/pidlock.js';
import { lockPath, readJournal } from './lock.js';
import { readRoles } from './roles.js';

// The service set whose programs the blue/green nodes are (nginx.service-set), with its registry.
export function bluegreenSet(cfg: Config): { name: string; registry: string } | undefined {
  const name = cfg.nginx?.['service-set'];
  if (name === undefined) return undefined;
  const set = cfg.ha?.['service-sets'][name];
  if (!set) throw new UserError(`nginx.service-set: "${name}" is not in ha.service-sets`);
  return { name, registry: set.registry };
}

// supervisord group names of `programs` as the registry defines them (`entries`: its scan):
// `[program:x]` is group x, a program listed by `[group:g]` is in g, `g:x` names g.
function groupsOfPrograms(entries: readonly RegistryEntry[], programs: string[]): Map<string, string> {
  const owner = new Map(entries.filter((e) => e.kind === 'group').flatMap((g) => g.programs.map((p) => [p, g.name] as const)));
  const out = new Map<string, string>();
  for (const p of programs) {
    const [g, x] = p.includes(':') ? (p.split(':', 2) as [string, string]) : [undefined, p];
    out.set(p, g ?? owner.get(x) ?? x);
  }
  return out;
}

// Programs of the nodes outside group `notIn` (all with undefined).
const programsOf = (cfg: Config, notIn: string | undefined) =>
  listNodes(cfg)
    .filter((n) => n.group !== notIn && n.node['supervisor-program'] !== undefined)
    .map((n) => n.node['supervisor-program'] as string);

// The groups of the blue/green set that the HA loop must not start now: the standby group's
// nodes. While a switch runs (its journal, its lock held by a live process) the switch alone
// starts and stops the nodes: every node group is left to it. A killed switch's journal counts as
// what its recovery will make of it. Throws when the journal or the roles cannot be read.
// `entries`: the set registry's scan (the loop's; read here without it).
export async function bluegreenTarget(cfg: Config, stateDir: string = cfg['state-dir'], entries?: readonly RegistryEntry[]): Promise<{ exclude: Set<string> }> {
  const set = bluegreenSet(cfg);
  if (!set || !cfg.nginx) return { exclude: new Set() };
  const journal = await readJournal({ ...cfg, 'state-dir': stateDir });
  let primary = (await readRoles(cfg)).primary['group-name'];
  const scanned = entries ?? (await scanRegistry([set.registry])).entries;
  const groupsOf = (programs: string[]) => groupsOfPrograms(scanned, programs);
  const programs = (notIn: string | undefined) => programsOf(cfg, notIn);
  if (journal) {
    // A live switch starts and stops the nodes of both groups itself: the loop repairs none of
    // them meanwhile (it would restart the old group the switch has just stopped).
    if ((await holderOf(lockPath({ ...cfg, 'state-dir': stateDir }))) !== undefined) {
      return { exclude: new Set(groupsOf(programs(undefined)).values()) };
    }
    primary = journal.step === 'verified' ? journal.to : journal.from;
  }
  const standby = programs(primary);
  const map = groupsOf(standby);
  // A group shared with a primary node is never excluded.
  const keep = new Set(groupsOf(programs(undefined).filter((p) => !standby.includes(p))).values());
  return { exclude: new Set([...map.values()].filter((g) => !keep.has(g))) };
}

// bluegreenTarget for the HA loop, failing closed: when the journal or the roles cannot be read
// (bad JSON, a folder, no permission, EIO) the loop starts no node of either colour (what runs
// keeps running) and `error` says why, for the log, status and health.
export async function bluegreenExclude(cfg: Config, entries: readonly RegistryEntry[]): Promise<{ exclude: Set<string>; error?: string }> {
  try {
    return await bluegreenTarget(cfg, cfg['state-dir'], entries);
  } catch (err) {
    return { exclude: new Set(groupsOfPrograms(entries, programsOf(cfg, undefined)).values()), error: errorMessage(err) };
  }
}

// Refuses blue/green work on a host that is not MASTER of the nodes' set (`role`: the agent's).
export function requireMaster(cfg: Config, what: string, role: string | undefined): void {
  const set = bluegreenSet(cfg);
  if (!set) return;
  if (role !== 'MASTER') {
    throw new UserError(
      `${what} refused: this host is not MASTER of service set ${set.name}, whose programs the nodes of upstream ${nginxOf(cfg).upstream['upstream-name']} are (the agent says ${role ?? 'nothing'}); run it on the set's MASTER`,
    );
  }
}
