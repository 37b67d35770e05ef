import { basename } from 'node:path';
import { autostartGroups, setGroups, startAll } from '../ha/index.js';
import { scanRegistry } from '../registry/index.js';
import { isFault, type SupervisorClient, update } from '../supervisor/index.js';
import { verifyReplica } from './manifest.js';

// A registry conf that is reported and not loaded.
export interface Rejected {
  file: string;
  group: string;
  program: string;
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

export interface ApplyOptions {
  isMaster: () => boolean;
  // How long a start may take to settle (supervisor.wait-timeout-ms).
  settleMs: number;
  // The peers' shared token: a non-MASTER loads only confs a peer holding it sent.
  token?: string | undefined;
}

// Makes supervisord match a set's registry (supervisorctl's update, limited to the set's groups:
// those in the registry now and those it had before). A conf without autostart=false is reported
// and not loaded. On the MASTER, what was added or changed is started; elsewhere nothing is.
export async function applyRegistry(
  client: SupervisorClient,
  registry: string,
  known: ReadonlySet<string>,
  opts: ApplyOptions,
): Promise<{ result: ApplyResult; groups: Set<string> }> {
  const entries = await scanRegistry([registry]);
  const rejected: Rejected[] = autostartGroups(entries).map((r) => ({
    file: basename(r.file),
    group: r.group,
    program: r.program,
    reason: 'autostart is not false: not loaded (set autostart=false; supha starts it on the MASTER)',
  }));
  if (!opts.isMaster() && opts.token !== undefined) rejected.push(...(await unverified(registry, entries, opts.token)));
  const bad = new Set(rejected.map((r) => r.group));
  const groups = setGroups(entries);
  const names = new Set(groups.map((g) => g.name));
  const only = [...new Set([...known, ...names])].filter((g) => !bad.has(g));
  const result: ApplyResult = { at: new Date().toISOString(), added: [], changed: [], removed: [], started: [], rejected, problems: [] };
  if (only.length === 0) return { result, groups: names };

  const done = await updateTolerant(client, only);
  Object.assign(result, { added: done.added, changed: done.changed, removed: done.removed });
  result.problems.push(...done.problems.map((p) => `${p.group}: ${p.message}`));
  const fresh = new Set([...done.added, ...done.changed]);
  if (opts.isMaster() && fresh.size > 0) {
    const todo = groups.filter((g) => fresh.has(g.name));
    const started = await startAll(client, todo, await client.getAllProcessInfo(), { all: false, settleMs: opts.settleMs });
    result.started = started.started;
    result.problems.push(...started.failed.map((f) => `${f.name}: start failed: ${f.error}`));
  }
  return { result, groups: names };
}

// Replica confs no verified manifest vouches for (src/sync/manifest.ts).
async function unverified(registry: string, entries: Awaited<ReturnType<typeof scanRegistry>>, token: string): Promise<Rejected[]> {
  const { verified, problem } = await verifyReplica(registry, token);
  return entries
    .filter((e) => !verified.has(basename(e.file)))
    .map((e) => ({
      file: basename(e.file),
      group: e.name,
      program: e.programs.join(',') || e.name,
      reason: `not in a manifest that verifies with the shared token: not loaded (${problem ?? 'changed here, or not sent by a peer'})`,
    }));
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
