import { EXIT, errorMessage } from '../../errors.js';
import { SupervisorFault } from '../../supervisor/faults.js';
import { namespec } from '../../supervisor/types.js';
import { whoName } from '../audit.js';
import { type Ctx, parkedDir } from '../context.js';
import { quiesce, requireMaster, setsOf, takeForce } from '../guard.js';
import { park } from '../park.js';
import { Refused } from '../refuse.js';
import { FAULT, failed, signalLine } from '../results.js';
import { checkWholeFiles, resolveNames, type Target, type View, viewOf } from '../view.js';

// stop X: stop X, removeProcessGroup, then park its conf (in that order: supervisord refuses to
// remove a running group, and a conf parked before the stop succeeded would lie). A loaded program
// whose conf is not in the registry is only stopped.
// A program of a service set only on the set's MASTER (elsewhere its registry is a replica).
export async function stop(ctx: Ctx, names: string[]): Promise<number> {
  const force = takeForce(names);
  const view = await viewOf(ctx);
  const targets = resolveNames(view, names, 'stop', true);
  for (const t of targets) {
    if (t.process !== undefined && t.process !== t.group && view.registry.has(t.group)) {
      throw new Refused(`refused: "${t.name}" is one process of group ${t.group}; stop the whole group (supzcli stop ${t.group}:*) so its conf can be parked`);
    }
  }
  const groups = new Set(targets.filter((t) => view.registry.has(t.group)).map((t) => t.group));
  checkWholeFiles(view.registry, groups, 'stop');
  await requireMaster(ctx, 'stop', await setsOf(ctx, view, [...new Set(targets.map((t) => t.group))]), force);
  const lift = await quiesce(ctx, [...(await setsOf(ctx, view, [...groups])).keys()]);
  try {
    return await stopTargets(ctx, view, targets, groups);
  } finally {
    await lift();
  }
}

async function stopTargets(ctx: Ctx, view: View, targets: Target[], groups: ReadonlySet<string>): Promise<number> {
  let code: number = EXIT.OK;
  const removed = new Set<string>();
  for (const t of targets) {
    if (!view.registry.has(t.group)) {
      if (view.loaded.has(t.group)) {
        if (!(await stopLoaded(ctx, t))) code = EXIT.FAILED;
        ctx.io.out(`${t.name}: its conf is not in the registry; nothing parked`);
      } else ctx.io.out(`${t.group}: already stopped and parked`);
      continue;
    }
    if (removed.has(t.group)) continue;
    if (!(await stopAndRemove(ctx, view, t))) code = EXIT.FAILED;
    else removed.add(t.group);
  }
  const files = new Set([...groups].flatMap((g) => view.registry.get(g)?.files ?? []));
  for (const file of files) {
    const owners = [...view.registry.values()].filter((g) => g.files.includes(file)).map((g) => g.name);
    if (!owners.every((g) => removed.has(g))) {
      ctx.io.err(`supzcli: ${file} left in the registry: ${owners.filter((g) => !removed.has(g)).join(', ')} could not be stopped and removed`);
      continue;
    }
    try {
      const to = await park(file, parkedDir(ctx.cfg), { user: whoName(ctx.io.env), groups: owners });
      ctx.io.out(`${owners.join(', ')}: conf parked (${file} -> ${to})`);
    } catch (err) {
      // Stopped and removed, conf still in the registry: nothing is lost, `update` loads it again.
      ctx.io.err(`supzcli: ${file} could not be parked (${errorMessage(err)}); it stays in the registry`);
      code = EXIT.FAILED;
    }
  }
  return code;
}

async function stopAndRemove(ctx: Ctx, view: View, t: Target): Promise<boolean> {
  if (view.loaded.has(t.group)) {
    const results = await ctx.client.stopProcessGroup(t.group);
    for (const r of results) ctx.io.out(signalLine(r, 'stopped'));
    if (results.length === 0) ctx.io.out(`${t.group}: not running`);
    if (results.some((r) => failed(r.status, FAULT.NOT_RUNNING))) return false;
    try {
      await ctx.client.removeProcessGroup(t.group);
    } catch (err) {
      if (!(err instanceof SupervisorFault)) throw err;
      ctx.io.out(`${t.group}: ERROR (${err.fault === 'STILL_RUNNING' ? 'still running' : err.faultString}); not removed`);
      return false;
    }
    ctx.io.out(`${t.group}: removed process group`);
  } else ctx.io.out(`${t.group}: not loaded in supervisord`);
  return true;
}

// A program supervisord has but the registry does not: stopped like supervisorctl does.
async function stopLoaded(ctx: Ctx, t: Target): Promise<boolean> {
  if (t.process === undefined) {
    const results = await ctx.client.stopProcessGroup(t.group);
    for (const r of results) ctx.io.out(signalLine(r, 'stopped'));
    return !results.some((r) => failed(r.status, FAULT.NOT_RUNNING));
  }
  try {
    await ctx.client.stopProcess(t.name);
    ctx.io.out(`${namespec({ group: t.group, name: t.process })}: stopped`);
    return true;
  } catch (err) {
    if (!(err instanceof SupervisorFault)) throw err;
    ctx.io.out(signalLine({ status: err.code, name: t.process, group: t.group, description: err.faultString }, 'stopped'));
    return !failed(err.code, FAULT.NOT_RUNNING);
  }
}
