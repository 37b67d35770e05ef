import type { RegistryEntry } from '../registry/index.js';
import { isFault, type ProcessInfo, RUNNING_STATES, type SupervisorClient } from '../supervisor/index.js';

// The supervisord groups a set's registry defines, by priority: a [group:x] owns its programs;
// a program in no group is its own group.
export function setGroups(entries: readonly RegistryEntry[]): { name: string; priority: number }[] {
  const inGroup = new Set(entries.filter((e) => e.kind === 'group').flatMap((e) => e.programs));
  return entries.filter((e) => e.kind !== 'eventlistener' && !(e.kind !== 'group' && inGroup.has(e.name))).map((e) => ({ name: e.name, priority: e.priority }));
}

export interface ConvergeResult {
  started: string[];
  stopped: string[];
  failed: { name: string; error: string }[];
}

const spec = (p: ProcessInfo) => `${p.group}:${p.name}`;

function batches<T extends { priority: number }>(items: T[], descending: boolean): T[][] {
  const by = new Map<number, T[]>();
  for (const it of items) by.set(it.priority, [...(by.get(it.priority) ?? []), it]);
  const keys = [...by.keys()].sort((a, b) => (descending ? b - a : a - b));
  return keys.map((k) => by.get(k) ?? []);
}

// Starts every process of the groups that is not running, one priority batch after another,
// each batch in parallel. FATAL processes are retried only when retryFatal.
export async function startAll(
  client: SupervisorClient,
  groups: { name: string; priority: number }[],
  infos: ProcessInfo[],
  retryFatal: boolean,
): Promise<ConvergeResult> {
  const res: ConvergeResult = { started: [], stopped: [], failed: [] };
  const prio = new Map(groups.map((g) => [g.name, g.priority]));
  const todo = infos
    .filter((p) => prio.has(p.group) && !RUNNING_STATES.has(p.statename) && (retryFatal || p.statename !== 'FATAL'))
    .map((p) => ({ p, priority: prio.get(p.group) ?? 999 }));
  for (const batch of batches(todo, false)) {
    await Promise.all(
      batch.map(async ({ p }) => {
        try {
          await client.startProcess(spec(p), true);
          res.started.push(spec(p));
        } catch (err) {
          if (isFault(err, 'ALREADY_STARTED')) return;
          res.failed.push({ name: spec(p), error: (err as Error).message });
        }
      }),
    );
  }
  return res;
}

// Stops every running process of the groups, highest priority number first, batches in parallel.
export async function stopAll(client: SupervisorClient, groups: { name: string; priority: number }[], infos: ProcessInfo[]): Promise<ConvergeResult> {
  const res: ConvergeResult = { started: [], stopped: [], failed: [] };
  const prio = new Map(groups.map((g) => [g.name, g.priority]));
  const todo = infos
    .filter((p) => prio.has(p.group) && RUNNING_STATES.has(p.statename) && p.statename !== 'STOPPING')
    .map((p) => ({ p, priority: prio.get(p.group) ?? 999 }));
  for (const batch of batches(todo, true)) {
    await Promise.all(
      batch.map(async ({ p }) => {
        try {
          await client.stopProcess(spec(p), true);
          res.stopped.push(spec(p));
        } catch (err) {
          if (isFault(err, 'NOT_RUNNING')) return;
          res.failed.push({ name: spec(p), error: (err as Error).message });
        }
      }),
    );
  }
  return res;
}
