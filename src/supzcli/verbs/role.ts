import { resolve } from 'node:path';
import { EXIT, UsageError } from '../../errors.js';
import type { Ctx } from '../context.js';
import { requireMaster, setOfDir, takeForce } from '../guard.js';

// role DIR: may programs of registry folder DIR start on this node? Exit 0 when DIR is no service
// set's registry or the agent says this node is that set's MASTER; refused (exit 2) otherwise.
// sup_run.sh asks it before writing a conf, so a standby refuses before anything changes.
export async function role(ctx: Ctx, args: string[]): Promise<number> {
  const force = takeForce(args);
  if (args.length === 0) throw new UsageError('role needs a registry folder: role [--force] DIR');
  const sets = new Map<string, string>();
  for (const a of args) {
    const dir = resolve(a);
    const set = setOfDir(ctx, dir);
    if (set === undefined) ctx.io.out(`${dir}: no service set's registry; its programs may run here`);
    else sets.set(dir, set);
  }
  await requireMaster(ctx, 'start', sets, force, 'supzcli role --force DIR (sup_run.sh: SUP_RUN_FORCE=1)');
  for (const [dir, set] of sets) ctx.io.out(`${dir}: registry of service set ${set}; this node may start its programs`);
  return EXIT.OK;
}
