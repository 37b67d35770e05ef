import { EXIT, UsageError } from '../../errors.js';
import { SupervisorFault } from '../../supervisor/faults.js';
import { namespec, type ProcessResult } from '../../supervisor/types.js';
import type { Ctx } from '../context.js';
import { requireMaster, setsOf, takeForce } from '../guard.js';
import { Refused } from '../refuse.js';
import { exitOf, FAULT, laterExit, signalLine, startLine } from '../results.js';
import { requireLoaded, resolveNames, type Target, type View, viewOf } from '../view.js';

// Verbs that act on supervisord only and leave the registry alone.

async function loadedTargets(ctx: Ctx, names: string[], verb: string, view?: View): Promise<Target[]> {
  view ??= await viewOf(ctx);
  const targets = resolveNames(view, names, verb, true);
  requireLoaded(view, targets, verb);
  return targets;
}

// Runs a group call for GROUP:* and a process call otherwise, printing supervisorctl's lines.
async function each(
  ctx: Ctx,
  targets: readonly Target[],
  line: (r: ProcessResult) => string,
  ignored: number | undefined,
  group: (t: Target) => Promise<ProcessResult[]>,
  one: (t: Target) => Promise<unknown>,
): Promise<number> {
  let code: number = EXIT.OK;
  for (const t of targets) {
    let results: ProcessResult[];
    if (t.process === undefined) results = await group(t);
    else {
      try {
        await one(t);
        results = [{ name: t.process, group: t.group, status: FAULT.SUCCESS, description: '' }];
      } catch (err) {
        if (!(err instanceof SupervisorFault)) throw err;
        results = [{ name: t.process, group: t.group, status: err.code, description: err.faultString }];
      }
    }
    for (const r of results) ctx.io.out(line(r));
    code = laterExit(
      code,
      exitOf(
        results.map((r) => r.status),
        ignored,
      ),
    );
  }
  return code;
}

// restart starts too: a program of a service set only where this node is its MASTER (start.ts).
export async function restart(ctx: Ctx, names: string[]): Promise<number> {
  const force = takeForce(names);
  const view = await viewOf(ctx);
  const targets = await loadedTargets(ctx, names, 'restart', view);
  await requireMaster(ctx, 'restart', await setsOf(ctx, view, [...new Set(targets.map((t) => t.group))]), force);
  const c = ctx.client;
  const stopped = await each(
    ctx,
    targets,
    (r) => signalLine(r, 'stopped'),
    FAULT.NOT_RUNNING,
    (t) => c.stopProcessGroup(t.group),
    (t) => c.stopProcess(t.name),
  );
  const started = await each(
    ctx,
    targets,
    startLine,
    FAULT.ALREADY_STARTED,
    (t) => c.startProcessGroup(t.group),
    (t) => c.startProcess(t.name),
  );
  return laterExit(stopped, started);
}

export async function signal(ctx: Ctx, args: string[]): Promise<number> {
  const [sig, ...names] = args;
  if (sig === undefined || names.length === 0) throw new UsageError('signal needs a signal and a program name: signal <signal> <name> [...]');
  if (!/^[A-Za-z0-9]+$/.test(sig)) throw new Refused(`refused: "${sig}" is not a signal name or number`);
  const targets = await loadedTargets(ctx, names, 'signal');
  const c = ctx.client;
  return each(
    ctx,
    targets,
    (r) => signalLine(r),
    undefined,
    (t) => c.signalProcessGroup(t.group, sig),
    (t) => c.signalProcess(t.name, sig),
  );
}

export async function clear(ctx: Ctx, names: string[]): Promise<number> {
  const targets = await loadedTargets(ctx, names, 'clear');
  const c = ctx.client;
  const line = (r: ProcessResult) =>
    r.status === FAULT.SUCCESS ? `${namespec(r)}: cleared` : `${namespec(r)}: ERROR (${r.status === FAULT.BAD_NAME ? 'no such process' : 'failed'})`;
  return each(
    ctx,
    targets,
    line,
    undefined,
    (t) => clearGroup(ctx, t),
    (t) => c.clearProcessLogs(t.name),
  );
}

// supervisord clears one process at a time: a group is cleared process by process.
async function clearGroup(ctx: Ctx, t: Target): Promise<ProcessResult[]> {
  const out: ProcessResult[] = [];
  for (const i of (await ctx.client.getAllProcessInfo()).filter((x) => x.group === t.group)) {
    try {
      await ctx.client.clearProcessLogs(`${i.group}:${i.name}`);
      out.push({ name: i.name, group: i.group, status: FAULT.SUCCESS, description: '' });
    } catch (err) {
      if (!(err instanceof SupervisorFault)) throw err;
      out.push({ name: i.name, group: i.group, status: err.code, description: err.faultString });
    }
  }
  return out;
}
