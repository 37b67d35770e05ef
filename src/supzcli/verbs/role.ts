import { resolve } from 'node:path';
import { EXIT, UsageError } from '../../errors.js';
import type { Ctx } from '../context.js';
import { requireMaster, setOfDir, takeForce } from '../guard.js';

// role DIR: may programs of registry folder DIR start (or --for: be stopped, updated) on this node? Exit 0 when DIR is no service
// set's registry or the agent says this node is that set's MASTER; refused (exit 2) otherwise.
// sup_run.sh asks it before writing a conf, so a standby refuses before anything changes.
export async function role(ctx: Ctx, args: string[]): Promise<number> {
  const force = takeForce(args);
  // --for VERB: the verb the caller is about to run (the refusal names it); start by default.
  let verb = 'start';
  const at = args.indexOf('--for');
  if (at >= 0) {
    verb = args[at + 1] ?? '';
    if (!['start', 'restart', 'stop', 'update'].includes(verb)) throw new UsageError(`role --for takes start, restart, stop or update, not "${verb}"`);
    args.splice(at, 2);
  }
  if (args.length === 0) throw new UsageError('role needs a registry folder: role [--force] [--for VERB] DIR');
  const sets = new Map<string, string>();
  for (const a of args) {
    const dir = resolve(a);
    const set = setOfDir(ctx, dir);
    if (set === undefined) ctx.io.out(`${dir}: no service set's registry; its programs may run here`);
    else sets.set(dir, set);
  }
  await requireMaster(ctx, verb, sets, force, 'supzcli role --force DIR (sup_run.sh: SUP_RUN_FORCE=1)');
  for (const [dir, set] of sets) ctx.io.out(`${dir}: registry of service set ${set}; this node may ${verb} its programs`);
  return EXIT.OK;
}
