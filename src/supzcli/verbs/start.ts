import { basename } from 'node:path';
import { EXIT, errorMessage } from '../../errors.js';
import { SupervisorFault } from '../../supervisor/faults.js';
import { namespec } from '../../supervisor/types.js';
import { update } from '../../supervisor/update.js';
import { whoName } from '../audit.js';
import { type Ctx, parkedDir, registryDirs } from '../context.js';
import { quiesce, requireMaster, setsOf, takeForce } from '../guard.js';
import { keepVersion, park, unpark } from '../park.js';
import { exitOf, FAULT, laterExit, startLine } from '../results.js';
import { checkWholeFiles, resolveNames, type Target, type View, viewOf } from '../view.js';

// start X: a parked conf goes back into the registry, supervisord loads it (reloadConfig + add),
// then X starts. A loaded X just starts, as with supervisorctl. A program of a service set starts
// only where the agent says this node is the set's MASTER (--force: also when no agent answers).
export async function start(ctx: Ctx, names: string[]): Promise<number> {
  const force = takeForce(names);
  const view = await viewOf(ctx);
  const targets = resolveNames(view, names, 'start', true);
  const toUnpark = new Set(targets.filter((t) => view.parked.has(t.group) && !view.registry.has(t.group)).map((t) => t.group));
  checkWholeFiles(view.parked, toUnpark, 'start');
  const groups = [...new Set(targets.map((t) => t.group))];
  const sets = await setsOf(ctx, view, groups);
  await requireMaster(ctx, 'start', sets, force);
  const lift = await quiesce(ctx, [...sets.keys()]);
  try {
    return await startLoaded(ctx, view, targets, groups, toUnpark);
  } finally {
    await lift();
  }
}

async function startLoaded(ctx: Ctx, view: View, targets: Target[], groups: string[], toUnpark: ReadonlySet<string>): Promise<number> {
  // Whatever fails between unparking and loading (a fault, supervisord gone, a timeout, a conf
  // that cannot move back), the restored confs not loaded are parked again: nothing changed.
  const restored = new Map<string, string>();
  let ready = new Set<string>();
  try {
    await restore(ctx, view, groups, toUnpark, restored);
    ready = await load(ctx, view, groups);
  } finally {
    await repark(ctx, view, restored, ready);
  }
  let code: number = EXIT.OK;
  for (const t of targets) code = laterExit(code, ready.has(t.group) ? await startOne(ctx, t) : EXIT.FAILED);
  return code;
}

// Parked confs of the named groups back into the registry (recorded in `restored`, parked path
// -> registry path); a registry conf wins over a parked one.
async function restore(ctx: Ctx, view: View, groups: readonly string[], toUnpark: ReadonlySet<string>, restored: Map<string, string>): Promise<void> {
  for (const group of groups) {
    const parked = view.parked.get(group);
    const registered = view.registry.get(group);
    if (parked && registered) {
      // A parked file that also holds groups not in the registry stays parked: they need it.
      for (const f of parked.files) {
        const others = [...view.parked.values()].filter((g) => g.files.includes(f) && !view.registry.has(g.name)).map((g) => g.name);
        if (others.length > 0) {
          ctx.io.out(`${group}: the registry conf is used; the parked ${f} stays parked (it also holds ${others.join(', ')})`);
          continue;
        }
        const kept = await keepVersion(f, registered.files.find((r) => basename(r) === basename(f)) ?? '');
        ctx.io.out(`${group}: the registry conf is used; ${kept ? `the parked copy is kept as ${kept}` : 'the parked copy was the same'}`);
      }
    } else if (parked && toUnpark.has(group)) {
      for (const f of parked.files.filter((x) => !restored.has(x))) {
        const to = await unpark(f, registryDirs(ctx.cfg));
        restored.set(f, to);
        ctx.io.out(`${group}: conf restored to ${to}`);
      }
    }
  }
}

// Loads the groups supervisord does not have (reloadConfig + add); returns the groups loaded. A
// fault is reported here (those groups are not ready); anything else is thrown.
async function load(ctx: Ctx, view: View, groups: readonly string[]): Promise<Set<string>> {
  const ready = new Set(groups.filter((g) => view.loaded.has(g)));
  const missing = groups.filter((g) => !ready.has(g));
  if (missing.length === 0) return ready;
  try {
    const res = await update(ctx.client, missing);
    for (const g of missing) {
      if (res.added.includes(g) || res.changed.includes(g)) {
        ctx.io.out(`${g}: added process group`);
        ready.add(g);
      } else ctx.io.err(`supzcli: supervisord did not load ${g} (is its registry folder in supervisord's [include] files?)`);
    }
  } catch (err) {
    if (!(err instanceof SupervisorFault)) throw err;
    ctx.io.err(`supzcli: ${err.message}`);
  }
  return ready;
}

// Parks again every restored conf none of whose groups got loaded.
async function repark(ctx: Ctx, view: View, restored: ReadonlyMap<string, string>, ready: ReadonlySet<string>): Promise<void> {
  for (const [from, to] of restored) {
    const owners = [...view.parked.values()].filter((g) => g.files.includes(from)).map((g) => g.name);
    if (owners.some((g) => ready.has(g))) continue;
    try {
      await park(to, parkedDir(ctx.cfg), { user: whoName(ctx.io.env), groups: owners });
      ctx.io.err(`supzcli: ${owners.join(', ')}: not loaded; conf parked again (${from})`);
    } catch (err) {
      ctx.io.err(`supzcli: ${owners.join(', ')}: not loaded, and ${to} could not be parked again: ${errorMessage(err)}`);
    }
  }
}

// Starts one target; returns its exit code as supervisorctl's (7: spawn error, 1: other faults).
async function startOne(ctx: Ctx, t: Target): Promise<number> {
  if (t.process === undefined) {
    const results = await ctx.client.startProcessGroup(t.group);
    for (const r of results) ctx.io.out(startLine(r));
    return exitOf(
      results.map((r) => r.status),
      FAULT.ALREADY_STARTED,
    );
  }
  try {
    await ctx.client.startProcess(t.name);
    ctx.io.out(`${namespec({ group: t.group, name: t.process })}: started`);
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof SupervisorFault)) throw err;
    ctx.io.out(startLine({ status: err.code, name: t.process, group: t.group, description: err.faultString }));
    return exitOf([err.code], FAULT.ALREADY_STARTED);
  }
}
