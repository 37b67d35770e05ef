import { type ApplyResult, type ConvergeResult, rejectedOf, setGroups, startAll, stopAll, updateSet } from '../ha/index.js';
import { stopBudgetMs } from '../quorum/budget.js';
import { type RegistryScan, scanRegistry } from '../registry/index.js';
import type { ProcessInfo, SupervisorClient } from '../supervisor/index.js';
import type { SerialRunner } from '../sync/debounce.js';
import { unverifiedConfs } from '../sync/replica.js';
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
  mayRun(set: string, budgetMs: number, signal: AbortSignal): Promise<{ ok: true } | { ok: false; why: string; freeze: boolean }>;
  // The set's programs are down here: the key (if ours) is given up.
  release(set: string): Promise<void>;
  notWanted(set: string): void;
}

// What a pass needs of the Reconciler (declared here so this file does not import it).
interface Loop {
  readonly table: ProcessTable;
  isQuiesced(group: string): boolean;
  transition(set: SetState, trigger: string, to: Role, why: string, t0: number, r: ConvergeResult, held: boolean): void;
}

interface Deps {
  client: SupervisorClient;
  // The peers' shared token: on a non-MASTER only replica confs a signed manifest lists load.
  replicaToken?: (() => Promise<string | undefined>) | undefined;
  // Before a set's registry loads as MASTER after a replica load (or at start): moves aside what
  // no verified generation lists (src/sync/carry.ts); true when it changed the registry.
  beforeMasterLoad?: ((set: string) => Promise<boolean>) | undefined;
  exclude?: ((set: string) => Promise<Set<string>>) | undefined;
  quorum?: QuorumGate | undefined;
  log: Logger;
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

// One pass of one set. A non-MASTER stops every program of the set first (whatever its conf says,
// quiesced or not), then updates supervisord from the registry; a MASTER updates, then starts
// (quiesced groups excepted). Held or UNKNOWN, nothing is started or stopped.
export async function converge(loop: Loop, d: Deps, l: SetLoop, c: PassCtx): Promise<void> {
  const set = l.set;
  if (c.role === 'MASTER' && l.replica !== false && (await d.beforeMasterLoad?.(set.name))) l.rescan = true;
  const scan = await scanOf(d, l);
  const changing = c.role !== set.acted;
  // With a quorum witness nothing of the set runs here without its key, whatever the role: what a
  // killed agent or a fenced holder left running is stopped before anything else.
  const q = d.quorum;
  let fenced: ConvergeResult | undefined;
  if (q && !q.holding(set.name)) {
    fenced = await stopAll(d.client, setGroups(scan.entries, { loadable: false }), await loop.table.get());
    assume(loop.table, fenced.stopped, 'STOPPED');
    if (fenced.stopped.length > 0)
      d.log.warn({ set: set.name, stopped: fenced.stopped }, `quorum: stopped ${fenced.stopped.length} programs of ${set.name} running without its key`);
    if (fenced.failed.length > 0) throw new Error(`quorum: could not stop ${fenced.failed.map((f) => `${f.name}: ${f.error}`).join(', ')}`);
    await q.release(set.name);
  }
  if (c.held || c.role === 'UNKNOWN') {
    // Held or UNKNOWN: a registry change is still loaded (nothing started, nothing stopped); a held
    // MASTER loads its own confs, UNKNOWN and a held non-MASTER only what a manifest lists.
    await updateOf(loop, d, l, scan, await loop.table.get(), c.role !== 'MASTER');
    if (c.held && changing && l.heldLogged !== c.role) {
      l.heldLogged = c.role;
      loop.transition(set, c.trigger, c.role, c.why, c.t0, NONE, true);
    }
    if (!c.held) l.heldLogged = undefined;
    return;
  }
  l.heldLogged = undefined;
  let infos = await loop.table.get();
  let result: ConvergeResult;
  if (c.role === 'MASTER') {
    const abort = new AbortController();
    l.abort = abort;
    const u = await updateOf(loop, d, l, scan, infos, false);
    if (u?.changed) infos = await loop.table.read();
    const gate = q ? await q.mayRun(set.name, stopBudgetMs(scan.entries).ms, abort.signal) : { ok: true as const };
    if (!gate.ok) {
      // Refused (or frozen): nothing starts; the track file tells keepalived (reconcile.ts).
      if (fenced && fenced.stopped.length > 0) loop.transition(set, c.trigger, set.acted, `quorum: ${gate.why}`, c.t0, fenced, false);
      return;
    }
    const skip = await d.exclude?.(set.name);
    l.excluded = skip ?? new Set();
    const groups = setGroups(scan.entries).filter((g) => !loop.isQuiesced(g.name) && !skip?.has(g.name));
    result = await startAll(d.client, groups, infos, { all: changing, settleMs: d.settleMs, signal: abort.signal });
    assume(loop.table, result.started, 'STARTING');
    if (u) u.result.started = result.started;
  } else {
    q?.notWanted(set.name);
    result = await stopAll(d.client, setGroups(scan.entries, { loadable: false }), infos);
    assume(loop.table, result.stopped, 'STOPPED');
    if (fenced) result.stopped.unshift(...fenced.stopped);
    // A clean demotion gives the key up at once: the peer does not wait out the TTL.
    if (q && result.failed.length === 0) await q.release(set.name);
    await updateOf(loop, d, l, scan, await loop.table.get(), true);
  }
  if (result.failed.length > 0) loop.table.invalidate();
  if (changing) loop.transition(set, c.trigger, c.role, c.why, c.t0, result, false);
  else if (result.started.length + result.stopped.length + result.failed.length > 0)
    loop.transition(set, c.trigger, c.role, `repair: ${c.why}`, c.t0, result, false);
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
