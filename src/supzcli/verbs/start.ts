import { basename } from 'node:path';
import { EXIT } from '../../errors.js';
import { SupervisorFault } from '../../supervisor/faults.js';
import { namespec } from '../../supervisor/types.js';
import { update } from '../../supervisor/update.js';
import { whoAmI } from '../audit.js';
import { type Ctx, parkedDir, registryDirs } from '../context.js';
import { park, supersede, unpark } from '../park.js';
import { FAULT, failed, startLine } from '../results.js';
import { checkWholeFiles, resolveNames, type Target, type View, viewOf } from '../view.js';

// start X: a parked conf goes back into the registry, supervisord loads it (reloadConfig + add),
// then X starts. A loaded X just starts, as with supervisorctl.
export async function start(ctx: Ctx, names: string[]): Promise<number> {
  const view = await viewOf(ctx);
  const targets = resolveNames(view, names, 'start', true);
  const toUnpark = new Set(targets.filter((t) => view.parked.has(t.group) && !view.registry.has(t.group)).map((t) => t.group));
  checkWholeFiles(view.parked, toUnpark, 'start');
  let code: number = EXIT.OK;
  const ready = new Map<string, boolean>();
  for (const t of targets) {
    if (!ready.has(t.group)) ready.set(t.group, await prepare(ctx, view, t.group, toUnpark));
    if (!ready.get(t.group)) {
      code = EXIT.FAILED;
      continue;
    }
    if (!(await startOne(ctx, t))) code = EXIT.FAILED;
  }
  return code;
}

// Makes the group loaded: unpark, then reloadConfig + add. Undoes the unpark when loading fails.
async function prepare(ctx: Ctx, view: View, group: string, toUnpark: ReadonlySet<string>): Promise<boolean> {
  const restored: [string, string][] = [];
  const parked = view.parked.get(group);
  const registered = view.registry.get(group);
  if (parked && registered) {
    for (const f of parked.files) await supersede(f, registered.files.find((r) => basename(r) === basename(f)) ?? '');
    ctx.io.out(`${group}: the registry conf is used; the parked copy was set aside`);
  } else if (parked && toUnpark.has(group)) {
    for (const f of parked.files) {
      if (restored.some(([p]) => p === f)) continue;
      const to = await unpark(f, registryDirs(ctx.cfg));
      restored.push([f, to]);
      ctx.io.out(`${group}: conf restored to ${to}`);
    }
  }
  if (view.loaded.has(group)) return true;
  try {
    const res = await update(ctx.client, [group]);
    if (res.added.includes(group) || res.changed.includes(group)) {
      ctx.io.out(`${group}: added process group`);
      return true;
    }
    ctx.io.err(`supzcli: supervisord did not load ${group} (is its registry folder in supervisord's [include] files?)`);
  } catch (err) {
    if (!(err instanceof SupervisorFault)) throw err;
    ctx.io.err(`supzcli: ${group}: ${err.message}`);
  }
  for (const [from, to] of restored) {
    await park(to, parkedDir(ctx.cfg), { user: whoAmI(ctx.io.env).user, groups: [group] });
    ctx.io.err(`supzcli: ${group}: conf parked again (${from})`);
  }
  return false;
}

async function startOne(ctx: Ctx, t: Target): Promise<boolean> {
  if (t.process === undefined) {
    const results = await ctx.client.startProcessGroup(t.group);
    for (const r of results) ctx.io.out(startLine(r));
    return !results.some((r) => failed(r.status, FAULT.ALREADY_STARTED));
  }
  try {
    await ctx.client.startProcess(t.name);
    ctx.io.out(`${namespec({ group: t.group, name: t.process })}: started`);
    return true;
  } catch (err) {
    if (!(err instanceof SupervisorFault)) throw err;
    ctx.io.out(startLine({ status: err.code, name: t.process, group: t.group, description: err.faultString }));
    return !failed(err.code, FAULT.ALREADY_STARTED);
  }
}
