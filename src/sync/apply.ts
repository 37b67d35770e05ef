import { basename } from 'node:path';
import { errorMessage } from '../errors.js';
import { type RegistryEntry, scanRegistry } from '../registry/index.js';
import { isFault, type SupervisorClient, update } from '../supervisor/index.js';

// A registry conf that is reported and not loaded.
export interface Rejected {
  file: string;
  group: string;
  reason: string;
}

export interface ApplyResult {
  at: string;
  added: string[];
  changed: string[];
  removed: string[];
  started: string[];
  rejected: Rejected[];
  problems: string[];
}

// Makes supervisord match a set's registry (supervisorctl's update, limited to the set's groups:
// those in the registry now and those it had before). A conf without autostart=false is reported
// and not loaded: supervisord would start it on add, on every node. On the MASTER, what was added
// or changed is started; elsewhere nothing is.
export async function applyRegistry(
  client: SupervisorClient,
  registry: string,
  known: ReadonlySet<string>,
  isMaster: () => boolean,
): Promise<{ result: ApplyResult; groups: Set<string> }> {
  const entries = await scanRegistry([registry]);
  const rejected: Rejected[] = entries
    .filter((e) => e.autostart)
    .map((e) => ({ file: basename(e.file), group: e.name, reason: 'autostart is not false: not loaded (set autostart=false; supha starts it on the MASTER)' }));
  const bad = new Set(rejected.map((r) => r.group));
  const good = entries.filter((e) => !bad.has(e.name));
  const groups = new Set(good.map((e) => e.name));
  const only = [...new Set([...known, ...groups])].filter((g) => !bad.has(g));
  const result: ApplyResult = { at: new Date().toISOString(), added: [], changed: [], removed: [], started: [], rejected, problems: [] };
  if (only.length === 0) return { result, groups };

  const done = await updateTolerant(client, only);
  Object.assign(result, { added: done.added, changed: done.changed, removed: done.removed });
  result.problems.push(...done.problems.map((p) => `${p.group}: ${p.message}`));
  if (isMaster()) {
    const fresh = new Set([...done.added, ...done.changed]);
    for (const e of good.filter((g: RegistryEntry) => fresh.has(g.name))) {
      try {
        await client.startProcessGroup(e.name, true);
        result.started.push(e.name);
      } catch (err) {
        if (isFault(err, 'ALREADY_STARTED')) continue;
        result.problems.push(`${e.name}: start failed: ${errorMessage(err)}`);
      }
    }
  }
  return { result, groups };
}

// update() can race another update of the same groups (the agent's reconcile loop): a group
// added or removed in between gives ALREADY_ADDED or BAD_NAME. Once more settles it.
async function updateTolerant(client: SupervisorClient, only: string[]) {
  try {
    return await update(client, only);
  } catch (err) {
    if (!isFault(err, 'ALREADY_ADDED', 'BAD_NAME')) throw err;
    await new Promise((r) => setTimeout(r, 50));
    return update(client, only);
  }
}
