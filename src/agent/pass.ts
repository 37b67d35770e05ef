import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { type ApplyResult, aliveIn, type ConvergeResult, type Group, rejectedOf, setGroups, startAll, stopAll, updateSet } from '../ha/index.js';
import { stopBudgetMs } from '../quorum/budget.js';
import { type RegistryEntry, type RegistryScan, scanRegistry } from '../registry/index.js';
import type { ProcessInfo, SupervisorClient } from '../supervisor/index.js';
import type { SerialRunner } from '../sync/debounce.js';
import { unverifiedConfs } from '../sync/replica.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { Logger } from '../util/log.js';
import type { Role } from './module.js';
import type { SetState } from './sets.js';
import type { ProcessTable } from './table.js';

// What the loop keeps per set between passes.
export interface SetLoop {
  set: SetState;
  // Groups the last MASTER pass was told not to start (blue/green's standby colour, or every
  // node during a live switch): health does not count them.
  excluded: Set<string>;
  // Why the last MASTER pass could not tell what to start (blue/green state unreadable).
  blocked: string | undefined;
  // Every group of the set: what its registry defines now and what it defined before that is
  // still loaded (a conf the scan now skips, one removed while the agent was down). Kept in
  // <state-dir>/members/<set>.json across restarts; undefined until read.
  members: Set<string> | undefined;
  membersKey: string;
  // Failed passes in a row, and the retry after one (it backs off).
  failures: number;
  retry: NodeJS.Timeout | undefined;
  triggers: Set<string>;
  runner: SerialRunner;
  // Aborted when the set is demoted while this pass starts it.
  abort: AbortController | undefined;
  scan: RegistryScan | undefined;
  scannedAt: number;
  // Read the registry again (the watcher saw a change, or never read).
  rescan: boolean;
  // Update supervisord from the registry on this pass.
  update: boolean;
  // The set's groups at its last update (a group that left the registry is removed).
  known: Set<string>;
  // Whether the last update applied the replica rule (a non-MASTER's): when the role crosses
  // MASTER the update runs again, so a promoted node loads its own confs and a demoted one
  // drops what no manifest lists.
  replica: boolean | undefined;
  missingKey: string;
  problemsKey: string;
  rejectedKey: string;
  heldLogged: Role | undefined;
  lastApply: ApplyResult | undefined;
  lastError: string | undefined;
  track: 0 | 1 | undefined;
}

// The quorum witness as the loop sees it (src/quorum): whether the set may run here.
export interface QuorumGate {
  holding(set: string): boolean;
  // Why a MASTER of the set is refused the key (its track file says 1), or undefined.
  blocked(set: string): string | undefined;
  mayRun(set: string, budgetMs: number, signal: AbortSignal, opts?: { adopt?: boolean }): Promise<{ ok: true } | { ok: false; why: string; freeze: boolean }>;
  // The set's programs are down here: the key (if ours) is given up.
  release(set: string): Promise<void>;
  notWanted(set: string): void;
}

// What a pass needs of the Reconciler (declared here so this file does not import it).
interface Loop {
  readonly table: ProcessTable;
  isQuiesced(group: string): boolean;
  // Whether another set's registry defines the group now (it is not this set's any more).
  claimedElsewhere(set: string, group: string): boolean;
  transition(set: SetState, trigger: string, to: Role, why: string, t0: number, r: ConvergeResult, held: boolean): void;
}

interface Deps {
  client: SupervisorClient;
  // The peers' shared token: on a non-MASTER only replica confs a signed manifest lists load.
  replicaToken?: (() => Promise<string | undefined>) | undefined;
  // Before a set's registry loads as MASTER after a replica load (or at start): moves aside what
  // no verified generation lists (src/sync/carry.ts); true when it changed the registry.
  beforeMasterLoad?: ((set: string) => Promise<boolean>) | undefined;
  exclude?: ((set: string, entries: readonly RegistryEntry[]) => Promise<{ exclude: Set<string>; error?: string }>) | undefined;
  quorum?: QuorumGate | undefined;
  log: Logger;
  stateDir: string;
  settleMs: number;
  safetyPollMs: number;
}

interface PassCtx {
  trigger: string;
  role: Role;
  why: string;
  held: boolean;
  t0: number;
}

const NONE: ConvergeResult = { started: [], stopped: [], failed: [] };

// One pass of one set, in three steps: read (the registry, supervisord's table, the set's
// members), decide (the role this pass acts on: `c.role`, already gated by the caller), act.
// A non-MASTER stops every process of every member group first (whatever its conf says now,
// quiesced or not), then updates supervisord from the registry; a MASTER updates, then starts
// (quiesced and excluded groups excepted). Held or UNKNOWN, nothing is started or stopped.
// A demotion that throws half-way still records the role it was going to (never MASTER), with
// the set not converged; the caller retries.
export async function converge(loop: Loop, d: Deps, l: SetLoop, c: PassCtx): Promise<void> {
  const set = l.set;
  if (c.role === 'MASTER' && l.replica !== false && (await d.beforeMasterLoad?.(set.name))) l.rescan = true;
  const scan = await scanOf(d, l);
  const changing = c.role !== set.acted;
  if (c.role !== 'MASTER') l.blocked = undefined;
  // With a quorum witness nothing of the set runs here without its key, whatever the role: what a
  // killed agent or a fenced holder left running is stopped before anything else. A held node
  // that acted as MASTER or still runs some of the set asks for the key first: the hold keeps
  // what runs (also across an agent restart) only while this node may run it.
  const q = d.quorum;
  let fenced: ConvergeResult | undefined;
  if (q && !q.holding(set.name)) {
    const infos = await loop.table.get();
    const groups = await membersOf(loop, d, l, scan, infos);
    let gate: { ok: boolean } = { ok: false };
    if (c.held && (set.acted === 'MASTER' || aliveOf(infos, groups).length > 0)) {
      const abort = new AbortController();
      l.abort = abort;
      gate = await q.mayRun(set.name, stopBudgetMs(scan.entries).ms, abort.signal, { adopt: true });
    }
    if (!gate.ok) {
      fenced = await stopAll(d.client, groups, infos);
      assume(loop.table, fenced.stopped, 'STOPPED');
      if (fenced.stopped.length > 0)
        d.log.warn({ set: set.name, stopped: fenced.stopped }, `quorum: stopped ${fenced.stopped.length} programs of ${set.name} running without its key`);
      if (fenced.failed.length > 0) throw new Error(`quorum: could not stop ${fenced.failed.map((f) => `${f.name}: ${f.error}`).join(', ')}`);
      await releaseWhenDown(loop, d, set.name, groups);
    }
  }
  if (c.held || c.role === 'UNKNOWN') {
    // Held or UNKNOWN: a registry change is still loaded (nothing started, nothing stopped); a held
    // MASTER loads its own confs, UNKNOWN and a held non-MASTER only what a manifest lists.
    const infos = await loop.table.get();
    await membersOf(loop, d, l, scan, infos);
    await updateOf(loop, d, l, scan, infos, c.role !== 'MASTER');
    if (c.held && changing && l.heldLogged !== c.role) {
      l.heldLogged = c.role;
      loop.transition(set, c.trigger, c.role, c.why, c.t0, NONE, true);
    }
    if (!c.held) l.heldLogged = undefined;
    return;
  }
  l.heldLogged = undefined;
  let result: ConvergeResult;
  if (c.role === 'MASTER') {
    const r = await actMaster(loop, d, l, scan, changing);
    if ('refused' in r) {
      // Refused the key: nothing starts, the track file tells keepalived (reconcile.ts), and a
      // MASTER that was fenced acts as FAULT (blue/green commands and the peer's role check see
      // it is not MASTER). Frozen (policy freeze, no etcd), what runs keeps running as MASTER.
      const to = set.acted === 'MASTER' && !r.freeze ? 'FAULT' : set.acted;
      if (to !== set.acted || (fenced && fenced.stopped.length > 0)) loop.transition(set, c.trigger, to, `quorum: ${r.refused}`, c.t0, fenced ?? NONE, false);
      return;
    }
    result = r;
  } else {
    try {
      result = await actNotMaster(loop, d, l, scan, fenced);
    } catch (err) {
      if (changing) loop.transition(set, c.trigger, c.role, c.why, c.t0, { ...NONE, failed: [{ name: set.name, error: errorMessage(err) }] }, false);
      throw err;
    }
  }
  if (result.failed.length > 0) loop.table.invalidate();
  if (changing) loop.transition(set, c.trigger, c.role, c.why, c.t0, result, false);
  else if (result.started.length + result.stopped.length + result.failed.length > 0)
    loop.transition(set, c.trigger, c.role, `repair: ${c.why}`, c.t0, result, false);
}

async function actMaster(loop: Loop, d: Deps, l: SetLoop, scan: RegistryScan, changing: boolean): Promise<ConvergeResult | Refused> {
  const abort = new AbortController();
  l.abort = abort;
  let infos = await loop.table.get();
  await membersOf(loop, d, l, scan, infos);
  const u = await updateOf(loop, d, l, scan, infos, false);
  if (u?.changed) infos = await loop.table.read();
  const gate = d.quorum ? await d.quorum.mayRun(l.set.name, stopBudgetMs(scan.entries).ms, abort.signal) : { ok: true as const };
  if (!gate.ok) return { refused: gate.why, freeze: gate.freeze };
  const skip = await d.exclude?.(l.set.name, scan.entries);
  l.excluded = skip?.exclude ?? new Set();
  const blocked = skip?.error === undefined ? undefined : `blue/green target unknown, no node started: ${skip.error}`;
  if (blocked !== undefined && blocked !== l.blocked) d.log.error({ set: l.set.name }, `set ${l.set.name}: ${blocked} (what runs keeps running)`);
  l.blocked = blocked;
  const groups = setGroups(scan.entries).filter((g) => !loop.isQuiesced(g.name) && !l.excluded.has(g.name));
  const result = await startAll(d.client, groups, infos, { all: changing, settleMs: d.settleMs, signal: abort.signal });
  assume(loop.table, result.started, 'STARTING');
  if (u) u.result.started = result.started;
  return result;
}

async function actNotMaster(loop: Loop, d: Deps, l: SetLoop, scan: RegistryScan, fenced: ConvergeResult | undefined): Promise<ConvergeResult> {
  d.quorum?.notWanted(l.set.name);
  const infos = await loop.table.get();
  const groups = await membersOf(loop, d, l, scan, infos);
  const result = await stopAll(d.client, groups, infos);
  assume(loop.table, result.stopped, 'STOPPED');
  if (fenced) result.stopped.unshift(...fenced.stopped);
  // A clean demotion gives the key up at once: the peer does not wait out the TTL.
  let kept: unknown;
  if (d.quorum && result.failed.length === 0) kept = await releaseWhenDown(loop, d, l.set.name, groups).catch((err: unknown) => err);
  await updateOf(loop, d, l, scan, await loop.table.get(), true);
  if (kept) throw kept;
  return result;
}

// A MASTER refused its quorum key (`freeze`: policy freeze with no etcd answering).
interface Refused {
  refused: string;
  freeze: boolean;
}

const aliveOf = (infos: readonly ProcessInfo[], groups: readonly Group[]) => aliveIn(infos, new Set(groups.map((g) => g.name)));

// The key goes only once no process of the set's member groups is alive here: stopAll leaves a
// STOPPING process to supervisord (it may take stopwaitsecs), and the peer must not start its
// copy meanwhile. Throws while one is (the caller retries with a backoff).
async function releaseWhenDown(loop: Loop, d: Deps, set: string, groups: readonly Group[]): Promise<void> {
  const alive = aliveOf(await loop.table.read(), groups);
  if (alive.length > 0) throw new Error(`quorum: key kept until ${alive.map((p) => `${p.group}:${p.name} ${p.statename}`).join(', ')} is down`);
  await d.quorum?.release(set);
}

const membersPath = (stateDir: string, set: string) => join(stateDir, 'members', `${set}.json`);

// The set's member groups (see SetLoop.members) with their priorities, kept up to date: a group
// leaves once it is neither in the registry nor loaded, or another set's registry defines it.
async function membersOf(loop: Loop, d: Deps, l: SetLoop, scan: RegistryScan, infos: readonly ProcessInfo[]): Promise<Group[]> {
  if (l.members === undefined) {
    l.members = await loadMembers(d, l.set.name);
    l.membersKey = JSON.stringify([...l.members].sort());
    // Groups of confs removed while the agent was down: the next update removes them too.
    for (const g of l.members) l.known.add(g);
  }
  const now = setGroups(scan.entries, { loadable: false });
  const names = new Set(now.map((g) => g.name));
  const loaded = new Set(infos.map((p) => p.group));
  const old = [...l.members].filter((g) => !names.has(g) && loaded.has(g) && !loop.claimedElsewhere(l.set.name, g));
  l.members = new Set([...names, ...old]);
  const key = JSON.stringify([...l.members].sort());
  if (key !== l.membersKey) {
    try {
      await writeJsonAtomic(membersPath(d.stateDir, l.set.name), { set: l.set.name, groups: [...l.members].sort() });
      l.membersKey = key;
    } catch (err) {
      d.log.error({ err, set: l.set.name }, `set members not saved: ${errorMessage(err)}`);
    }
  }
  return [...now, ...old.map((name) => ({ name, priority: 999 }))];
}

async function loadMembers(d: Deps, set: string): Promise<Set<string>> {
  const path = membersPath(d.stateDir, set);
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as { groups?: unknown };
    return new Set(Array.isArray(data.groups) ? data.groups.filter((g): g is string => typeof g === 'string') : []);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      d.log.error({ err, set, path }, `set members unreadable, starting from the registry: ${errorMessage(err)}`);
    return new Set();
  }
}

// The set's registry: read again when the watcher said so or the safety poll is due, else the
// last scan. A bad entry is logged once and left out; the rest of the set goes on.
async function scanOf(d: Deps, l: SetLoop): Promise<RegistryScan> {
  if (l.scan && !l.rescan && Date.now() - l.scannedAt < d.safetyPollMs) return l.scan;
  l.rescan = false;
  const prev = l.scan;
  const scan = await scanRegistry([l.set.registry]);
  l.scan = scan;
  l.scannedAt = Date.now();
  l.set.problems = scan.problems;
  // Entries of an unchanged file are the same objects (scanRegistry's cache).
  if (!prev || prev.entries.length !== scan.entries.length || prev.entries.some((e, i) => e !== scan.entries[i])) l.update = true;
  const key = JSON.stringify(scan.problems);
  if (key !== l.problemsKey) for (const p of scan.problems) d.log.error({ set: l.set.name, path: p.path }, `registry entry skipped: ${p.path}: ${p.message}`);
  l.problemsKey = key;
  return scan;
}

// update() for the set's groups when its registry changed, the replica rule changed (the role
// crossed MASTER), or a group is missing from supervisord (once per missing list). Returns what
// it did, or undefined when it did not run.
async function updateOf(
  loop: Loop,
  d: Deps,
  l: SetLoop,
  scan: RegistryScan,
  infos: ProcessInfo[],
  replica: boolean,
): Promise<{ result: ApplyResult; changed: boolean } | undefined> {
  const loaded = new Set(infos.map((p) => p.group));
  const missing = setGroups(scan.entries)
    .filter((g) => !loaded.has(g.name))
    .map((g) => g.name)
    .join(',');
  const again = missing !== '' && missing !== l.missingKey;
  l.missingKey = missing;
  if (!l.update && !again && l.replica === replica) return undefined;
  const token = replica ? await d.replicaToken?.() : undefined;
  const unsigned = token === undefined ? [] : await unverifiedConfs(l.set.registry, scan, token);
  const rejected = [...rejectedOf(scan), ...unsigned];
  const rkey = JSON.stringify(rejected);
  if (rkey !== l.rejectedKey) for (const r of rejected) d.log.error({ set: l.set.name, file: r.file, group: r.group }, `registry conf refused: ${r.reason}`);
  l.rejectedKey = rkey;
  let u: ApplyResult;
  try {
    u = await updateSet(d.client, scan, l.known, unsigned);
  } catch (err) {
    l.lastApply = { ...emptyApply(), rejected, error: (err as Error).message };
    loop.table.invalidate();
    throw err;
  }
  l.update = false;
  l.replica = replica;
  l.known = new Set(setGroups(scan.entries).map((g) => g.name));
  l.lastApply = u;
  for (const p of u.problems) d.log.warn({ set: l.set.name }, `update: ${p}`);
  const changed = u.added.length + u.changed.length + u.removed.length > 0;
  if (changed) {
    loop.table.invalidate();
    d.log.info({ set: l.set.name, added: u.added, changed: u.changed, removed: u.removed }, 'supervisord updated from registry');
  }
  return { result: u, changed };
}

function emptyApply(): ApplyResult {
  return { at: new Date().toISOString(), added: [], changed: [], removed: [], started: [], rejected: [], problems: [] };
}

// What the loop just did, written into the table until supervisord's events (or a read) say more.
function assume(table: ProcessTable, specs: readonly string[], state: 'STARTING' | 'STOPPED'): void {
  if (specs.length > 0) table.assume(specs, state);
}
