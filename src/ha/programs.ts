import type { RegistryEntry } from '../registry/index.js';
import { faultName, type ProcessInfo, RUNNING_STATES, type SupervisorClient } from '../supervisor/index.js';

export interface Group {
  name: string;
  priority: number;
}

// The supervisord groups a set's registry defines, by priority: a [group:x] owns its programs;
// a program in no group is its own group. With `loadable`, groups in autostartGroups() are left
// out (supha never loads them); without, they are in (a non-MASTER stops them all the same:
// supervisord's own [include] may have loaded and started them).
export function setGroups(entries: readonly RegistryEntry[], opts: { loadable: boolean } = { loadable: true }): Group[] {
  const inGroup = new Set(entries.filter((e) => e.kind === 'group').flatMap((e) => e.programs));
  const bad = new Set(opts.loadable ? autostartGroups(entries).map((r) => r.group) : []);
  return entries
    .filter((e) => e.kind !== 'eventlistener' && !(e.kind !== 'group' && inGroup.has(e.name)) && !bad.has(e.name))
    .map((e) => ({ name: e.name, priority: e.priority }));
}

// Groups with a program that lacks autostart=false: supervisord would start it on load, on
// every node, so it is reported and not loaded (docs/replication.md).
export function autostartGroups(entries: readonly RegistryEntry[]): { group: string; program: string; file: string }[] {
  const eager = entries.filter((e) => (e.kind === 'program' || e.kind === 'fcgi-program') && e.autostart);
  const owner = new Map(entries.filter((e) => e.kind === 'group').flatMap((g) => g.programs.map((p) => [p, g.name] as const)));
  return eager.map((e) => ({ group: owner.get(e.name) ?? e.name, program: e.name, file: e.file }));
}

export interface ConvergeResult {
  started: string[];
  stopped: string[];
  failed: { name: string; error: string }[];
  // Time spent inside supervisord's start/stop calls (its own spawn and kill work).
  rpcMs?: number;
}

const spec = (p: Pick<ProcessInfo, 'group' | 'name'>) => `${p.group}:${p.name}`;
type Fault = { faultCode: number; faultString: string };
const isFaultValue = (v: unknown): v is Fault => typeof v === 'object' && v !== null && 'faultCode' in v;

function batches<T extends { priority: number }>(items: T[], descending: boolean): T[][] {
  const by = new Map<number, T[]>();
  for (const it of items) by.set(it.priority, [...(by.get(it.priority) ?? []), it]);
  return [...by.keys()].sort((a, b) => (descending ? b - a : a - b)).map((k) => by.get(k) ?? []);
}

// Polls until none of the named processes is still starting; returns the last process list.
// An abort (a demotion of the set) ends the wait at once.
async function settle(client: SupervisorClient, names: Set<string>, deadlineMs: number, signal: AbortSignal | undefined): Promise<ProcessInfo[]> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const infos = await client.getAllProcessInfo();
    const busy = infos.some((p) => names.has(spec(p)) && (p.statename === 'STARTING' || p.statename === 'BACKOFF'));
    if (!busy || Date.now() > deadline || signal?.aborted) return infos;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Starts the groups' processes one priority batch after another. Each batch is one
// system.multicall of startProcess without waiting (supervisord spawns them in one go), then,
// before the next batch, a poll until they are up. NOTE: not startProcessGroup: it always answers through a deferred that
// supervisord's loop may only look at a second later. With `all` (a role change) every process
// of the groups is asked to start (a possibly stale list is fine: ALREADY_STARTED is ignored) and
// FATAL ones are retried; otherwise only those found not running, FATAL ones left alone.
// An aborted signal (the set is being demoted) starts no further batch.
export async function startAll(
  client: SupervisorClient,
  groups: Group[],
  infos: ProcessInfo[],
  opts: { all: boolean; settleMs: number; signal?: AbortSignal },
): Promise<ConvergeResult> {
  const res: ConvergeResult = { started: [], stopped: [], failed: [] };
  const prio = new Map(groups.map((g) => [g.name, g.priority]));
  const todo = infos
    .filter((p) => prio.has(p.group) && p.statename !== 'STOPPING' && (opts.all || (!RUNNING_STATES.has(p.statename) && p.statename !== 'FATAL')))
    .map((p) => ({ name: spec(p), priority: prio.get(p.group) ?? 999 }));
  const all = batches(todo, false);
  for (const [i, batch] of all.entries()) {
    if (opts.signal?.aborted) break;
    const t0 = performance.now();
    const answers = await client.multicall(batch.map((b) => ({ methodName: 'supervisor.startProcess', params: [b.name, false] })));
    res.rpcMs = (res.rpcMs ?? 0) + (performance.now() - t0);
    const launched = new Set<string>();
    answers.forEach((a, i) => {
      const name = batch[i]?.name ?? '?';
      if (!isFaultValue(a)) launched.add(name);
      else if (faultName(a.faultCode) !== 'ALREADY_STARTED') res.failed.push({ name, error: `${faultName(a.faultCode)}: ${a.faultString}` });
    });
    if (launched.size === 0) continue;
    // The next batch waits until this one is up; the last one is not waited for (polling would
    // only slow supervisord down while it spawns): the next pass and the track file see failures.
    if (i === all.length - 1) {
      res.started.push(...launched);
      continue;
    }
    const after = await settle(client, launched, opts.settleMs, opts.signal);
    for (const p of after.filter((x) => launched.has(spec(x)))) {
      if (p.statename === 'RUNNING') res.started.push(spec(p));
      else if (opts.signal?.aborted) continue;
      else res.failed.push({ name: spec(p), error: `${p.statename}${p.spawnerr ? `: ${p.spawnerr}` : ''}` });
    }
  }
  return res;
}

// Stops every running process of the groups, highest priority number first, batches in parallel.
export async function stopAll(client: SupervisorClient, groups: Group[], infos: ProcessInfo[]): Promise<ConvergeResult> {
  const res: ConvergeResult = { started: [], stopped: [], failed: [] };
  const prio = new Map(groups.map((g) => [g.name, g.priority]));
  const todo = infos.filter((p) => prio.has(p.group) && RUNNING_STATES.has(p.statename)).map((p) => ({ p, priority: prio.get(p.group) ?? 999 }));
  for (const batch of batches(todo, true)) {
    await Promise.all(
      batch.map(async ({ p }) => {
        try {
          await client.stopProcess(spec(p), true);
          res.stopped.push(spec(p));
        } catch (err) {
          if ((err as { fault?: string }).fault === 'NOT_RUNNING') return;
          res.failed.push({ name: spec(p), error: (err as Error).message });
        }
      }),
    );
  }
  return res;
}
