import { basename } from 'node:path';
import type { RegistryScan } from '../registry/index.js';
import { isFault, type SupervisorClient, update } from '../supervisor/index.js';
import { autostartGroups, setGroups } from './programs.js';

// A registry conf that is reported and not loaded.
export interface Rejected {
  file: string;
  group: string;
  program: string;
  reason: string;
}

// What one update of a set's groups from its registry did (supha status shows the last one).
export interface ApplyResult {
  at: string;
  added: string[];
  changed: string[];
  removed: string[];
  // Started by the same pass (on the MASTER only).
  started: string[];
  rejected: Rejected[];
  problems: string[];
  error?: string;
}

export function rejectedOf(scan: RegistryScan): Rejected[] {
  return autostartGroups(scan.entries).map((r) => ({
    file: basename(r.file),
    group: r.group,
    program: r.program,
    reason: 'autostart is not false: not loaded (set autostart=false; supha starts it on the MASTER)',
  }));
}

// supervisorctl's update, limited to a set's groups: those in its registry now and those it had
// before (`known`). A conf without autostart=false, or refused by the caller (`refused`: a
// replica conf no signed manifest vouches for), is reported and not loaded. Starts nothing.
// Only the agent's reconcile loop calls this.
export async function updateSet(
  client: SupervisorClient,
  scan: RegistryScan,
  known: ReadonlySet<string>,
  refused: readonly Rejected[] = [],
): Promise<ApplyResult> {
  const rejected = [...rejectedOf(scan), ...refused];
  const bad = new Set(rejected.map((r) => r.group));
  const names = setGroups(scan.entries).map((g) => g.name);
  const only = [...new Set([...known, ...names])].filter((g) => !bad.has(g));
  const result: ApplyResult = { at: new Date().toISOString(), added: [], changed: [], removed: [], started: [], rejected, problems: [] };
  // NOTE: update() with no names means every group on the host: never for one set.
  if (only.length === 0) return result;
  const done = await updateTolerant(client, only);
  Object.assign(result, { added: done.added, changed: done.changed, removed: done.removed });
  result.problems.push(...done.problems.map((p) => `${p.group}: ${p.message}`));
  return result;
}

// update() can race an operator's supzcli or another set's update: a group added or removed in
// between gives ALREADY_ADDED or BAD_NAME. Once more settles it.
async function updateTolerant(client: SupervisorClient, only: string[]) {
  try {
    return await update(client, only);
  } catch (err) {
    if (!isFault(err, 'ALREADY_ADDED', 'BAD_NAME')) throw err;
    await new Promise((r) => setTimeout(r, 50));
    return update(client, only);
  }
}
