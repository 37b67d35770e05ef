import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tokenFilePath } from '../agent/paths.js';
import type { AlertFn } from '../alert/index.js';
import type { Config } from '../config/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Logger } from '../util/log.js';
import { ensureHistoryDir, keepFile } from './history.js';
import { contentOf, MANIFEST, type Manifest, parseManifest, readManifest, readManifestFile, verifyManifest, writeManifest } from './manifest.js';
import { historyStamp } from './rsync.js';
import { readToken } from './token.js';

// What a node carries across a promotion. A non-MASTER refuses a conf no verified manifest lists
// (src/sync/replica.ts); without more, the node would load it, sign it and push it back once it
// became MASTER. So each node remembers, per set, whether it last held the set as MASTER (its
// own generations) or as a replica, and the newest verified manifest it saw or wrote. Promoted
// after holding a replica, it carries only the confs that manifest lists; any other conf is moved
// aside into <registry>/.supha-history/<stamp>-quarantine-<node>/ (never loaded, signed or
// pushed) with a log line, an alert and a status entry, until an operator restores it on the
// MASTER (supha sync restore SET ID: then it is a local write) or adopts the registry as it is
// (supha sync adopt SET --local). Kept in <state-dir>/sync/<set>.carry.json, where the rsync
// module cannot write.

export interface Quarantined {
  // <stamp>/<file>, what `supha sync restore` takes.
  id: string;
  file: string;
  at: string;
  reason: string;
}

export interface CarryState {
  held: 'master' | 'replica';
  manifest?: Manifest | undefined;
  // Set by the first write `supha sync accept` let through the rsync module into this registry
  // (recorded before a byte lands), with the confs the registry held right before it: this
  // node's own. A node that never received anything carries every conf (its own: the mutual
  // standby start-up, confs an operator put there before its first promotion); one that received
  // writes but never a verified generation carries only `own`.
  received?: true | undefined;
  own?: Record<string, string> | undefined;
  quarantined: Quarantined[];
}

export const carryFile = (stateDir: string, set: string) => join(stateDir, 'sync', `${set}.carry.json`);

// What a carry file that cannot be read or parsed counts as: a replica with nothing verified
// (fail closed: a promotion then carries only a manifest that verifies; the rest is quarantined,
// which keeps it in the history).
const UNREADABLE: CarryState = { held: 'replica', received: true, own: {}, quarantined: [] };

// Undefined only when there is no file.
export async function readCarry(path: string): Promise<CarryState | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : UNREADABLE;
  }
  const s = (raw ?? {}) as Partial<CarryState>;
  if (s.held !== 'master' && s.held !== 'replica') return UNREADABLE;
  const manifest = s.manifest === undefined ? undefined : parseManifest(JSON.stringify(s.manifest));
  const own = typeof s.own === 'object' && s.own !== null && Object.values(s.own).every((v) => typeof v === 'string') ? s.own : undefined;
  return {
    held: s.held,
    manifest,
    ...(s.received === true ? { received: true, own: own ?? {} } : {}),
    quarantined: Array.isArray(s.quarantined) ? s.quarantined.filter((q) => typeof q?.file === 'string') : [],
  };
}

// One change at a time per file (the pass's promotion check and the set's notes run in one agent).
const chains = new Map<string, Promise<unknown>>();

// Applies `change` to the state (undefined: leave it as it is); returns what it is now.
export function updateCarry(path: string, change: (s: CarryState | undefined) => Promise<CarryState | undefined>): Promise<CarryState | undefined> {
  const next = (chains.get(path) ?? Promise.resolve())
    .catch(() => undefined)
    .then(async () => {
      const before = await readCarry(path);
      const after = await change(before);
      if (after === undefined) return before;
      if (JSON.stringify(after) !== JSON.stringify(before ?? null)) await writeFileAtomic(path, `${JSON.stringify(after)}\n`, 0o600);
      return after;
    });
  chains.set(path, next);
  return next;
}

const newer = (a: Manifest | undefined, b: Manifest | undefined) => (!a ? b : !b ? a : b.counter > a.counter ? b : a);

// This node now runs the set as MASTER: its generations are its own.
export function noteMaster(path: string, own: Manifest | undefined): Promise<CarryState | undefined> {
  return updateCarry(path, async (s) => ({ ...s, held: 'master', manifest: own ?? s?.manifest, quarantined: s?.quarantined ?? [] }));
}

// Carry files this process made sure of (noteStart): gone later, they were deleted.
const noted = new Set<string>();

// When replication starts: the set's carry file exists from then on, so a missing one later was
// deleted (and fails closed). A node that never noted the set counts as MASTER unless a peer's
// verified generation is there.
export function noteStart(path: string, registry: string, node: string, token: string | undefined): Promise<CarryState | undefined> {
  noted.add(path);
  return updateCarry(path, async (s) => {
    if (s) return undefined;
    const here = token === undefined ? undefined : await readManifest(registry, token);
    return { held: here && here.node !== node ? 'replica' : 'master', manifest: here, quarantined: [] };
  });
}

// `supha sync accept` let a write through the rsync module into the registry (before it lands).
export function noteReceived(path: string, registry: string): Promise<CarryState | undefined> {
  return updateCarry(path, async (s) => {
    if (s?.received) return undefined;
    return { held: 'replica', ...s, received: true, own: (await contentOf(registry)).files, quarantined: s?.quarantined ?? [] };
  });
}

// This node holds the set as a replica (BACKUP, FAULT, STOP, or demoted): the registry's
// manifest, when it verifies and is newer, is what it would carry. `held` false: only that
// manifest is noted, when the node already held a replica (UNKNOWN at start).
export function noteReplica(path: string, registry: string, token: string | undefined, held = true): Promise<CarryState | undefined> {
  return updateCarry(path, async (s) => {
    if (!held && s?.held !== 'replica') return undefined;
    const r = token === undefined ? undefined : await readManifestFile(join(registry, MANIFEST), token);
    const seen = r?.kind === 'ok' ? r.manifest : undefined;
    return { ...s, held: 'replica', manifest: newer(s?.manifest, seen), quarantined: s?.quarantined ?? [] };
  });
}

export interface CarryOptions {
  set: string;
  node: string;
  registry: string;
  token: string | undefined;
  statePath: string;
  log: Logger;
  alert?: AlertFn | undefined;
}

// Run by the agent's reconcile pass before it loads a set's registry as MASTER after holding it
// as a replica (or at start): moves aside what the newest verified manifest does not list.
// Returns true when it changed the registry. Without a token every conf counts (as the replica
// rule). Fails closed: no carry file (after noteStart made one in this process) or an unreadable one is a replica
// with nothing verified; a remembered or present manifest that does not verify (the token was
// rotated, or it was forged) lists nothing; a node that received writes through the module but
// never a verified generation carries only its own confs (noteReceived).
export async function carryAcrossPromotion(o: CarryOptions): Promise<boolean> {
  const { token } = o;
  if (token === undefined) return false;
  let changed = false;
  await updateCarry(o.statePath, async (got) => {
    const r = await readManifestFile(join(o.registry, MANIFEST), token);
    const here = r.kind === 'ok' ? r.manifest : undefined;
    // No file yet at the agent's first pass (replication not started): a peer's generation here
    // means a replica. Gone after replication made it: deleted, fail closed.
    const fresh: CarryState = { held: here && here.node !== o.node ? 'replica' : 'master', quarantined: [] };
    const s = got ?? (noted.has(o.statePath) ? UNREADABLE : fresh);
    if (s.held !== 'replica') return undefined;
    const remembered = s.manifest && verifyManifest(s.manifest, token) ? s.manifest : undefined;
    const listed = newer(remembered, here);
    // What may be carried: the newest verified generation; without one, nothing if a manifest was
    // there but does not verify, else its own confs if the module let writes in, else all.
    const unverifiable = (s.manifest !== undefined && !remembered) || r.kind === 'bad';
    const content = await contentOf(o.registry);
    const carried = listed?.files ?? (unverifiable ? {} : s.received ? (s.own ?? {}) : content.files);
    const basis = listed
      ? `verified generation ${listed.counter} from ${listed.node}`
      : unverifiable
        ? 'a manifest that does not verify with the shared token (rotated?)'
        : 'the confs this node held before the rsync module let a write in';
    // An empty (or missing) registry carries nothing and is left as it is: the push rules say
    // what an empty registry may do (src/sync/generation.ts).
    if (Object.keys(content.files).length === 0) return undefined;
    // The registry's manifest missing, forged or older than the one remembered: put it back, so
    // the generations go on from it (the next push is then not "diverged").
    if (listed && (!here || here.counter < listed.counter)) {
      await writeManifest(o.registry, listed, token);
      changed = true;
    }
    // NOTE: rsync --delay-updates renames in file-list order, so the manifest (a dot name sorts
    // first) is in place a moment before the confs it lists: promoted in between, a changed conf
    // still has the content of the generation before, the other verified one. It is carried.
    const before = [remembered, here].find((m) => m !== undefined && m !== listed);
    const ok = (f: string) => carried[f] === content.files[f] || (carried[f] !== undefined && before?.files[f] === content.files[f]);
    const unlisted = Object.keys(content.files).filter((f) => !ok(f));
    const next = { ...s, held: s.held, manifest: listed ?? s.manifest, quarantined: s.quarantined };
    if (unlisted.length === 0) return next;
    const stamp = historyStamp(o.node, 'quarantine');
    await historyAlarm(o, await ensureHistoryDir(o.registry));
    const at = new Date().toISOString();
    const moved: Quarantined[] = unlisted.map((file) => ({
      id: `${stamp}/${file}`,
      file,
      at,
      reason:
        carried[file] === undefined
          ? `in no verified generation of ${o.set} (carried: ${basis}): not loaded, not signed, not pushed`
          : `changed since ${basis}: not loaded, not signed, not pushed`,
    }));
    // The entries first, then the moves: killed in between, the alarm is still there (an entry
    // whose conf is still in the registry is dropped by openQuarantine, and the next promotion
    // step moves it again).
    await writeFileAtomic(o.statePath, `${JSON.stringify({ ...next, quarantined: [...s.quarantined, ...moved] })}\n`, 0o600);
    for (const { file, reason } of moved) {
      await keepFile(o.registry, stamp, file);
      const line = `CONF QUARANTINED: set ${o.set}: ${file} ${reason}; kept as ${o.registry}/.supha-history/${stamp}/${file} (supha sync restore ${o.set} ${stamp}/${file} on this MASTER to adopt it)`;
      o.log.error({ set: o.set, file, id: `${stamp}/${file}` }, line);
      o.alert?.({ kind: 'conf-quarantined', summary: line, set: o.set, file, reason });
    }
    changed = true;
    return { ...next, quarantined: [...s.quarantined, ...moved] };
  });
  return changed;
}

// <registry>/.supha-history was not a folder and was renamed aside (ensureHistoryDir).
export async function historyAlarm(o: { set: string; registry: string; log: Logger; alert?: AlertFn | undefined }, aside: string | undefined): Promise<void> {
  if (aside === undefined) return;
  const line = `set ${o.set}: ${o.registry}/.supha-history was not a folder (a file or a symlink): renamed to ${aside}, a fresh folder keeps the history`;
  o.log.error({ set: o.set, aside }, line);
  o.alert?.({ kind: 'history-moved', summary: line, set: o.set });
}

// The agent's hook (src/agent/agent.ts): the set's options from the config.
export async function carryForSet(cfg: Config, set: string, log: Logger, alert?: AlertFn): Promise<boolean> {
  const ha = cfg.ha;
  const sc = ha?.['service-sets'][set];
  if (!ha || !sc) return false;
  return carryAcrossPromotion({
    set,
    node: ha['node-name'] ?? hostname(),
    registry: sc.registry,
    token: await readToken(tokenFilePath(cfg)),
    statePath: carryFile(cfg['state-dir'], set),
    log,
    alert,
  });
}

// Quarantine entries still out of the registry (a restored conf is back, its entry done).
export async function openQuarantine(path: string, registry: string): Promise<Quarantined[]> {
  const s = await readCarry(path);
  if (!s || s.quarantined.length === 0) return [];
  const present = new Set(Object.keys((await contentOf(registry)).files));
  const open = s.quarantined.filter((q) => !present.has(q.file));
  if (open.length !== s.quarantined.length) await updateCarry(path, async (x) => x && { ...x, quarantined: x.quarantined.filter((q) => !present.has(q.file)) });
  return open;
}

// supha sync adopt SET --local: the registry as it is is right; the quarantine alarm ends (the
// files stay in the kept history).
export function clearQuarantine(path: string): Promise<CarryState | undefined> {
  return updateCarry(path, async (s) => s && { ...s, quarantined: [] });
}
