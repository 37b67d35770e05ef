import { EXIT, UsageError } from '../../errors.js';
import { update as updateGroups } from '../../supervisor/update.js';
import type { Ctx } from '../context.js';
import { requireMaster, setsOf, takeForce } from '../guard.js';
import { nameProblem } from '../names.js';
import { Refused } from '../refuse.js';
import { viewOf } from '../view.js';

// update [GROUP…]: supervisorctl's update (reloadConfig, then stop+remove gone groups, re-add
// changed ones, add new ones). The registry is what it loads; it is not changed.
// A group of a service set only on the set's MASTER: elsewhere the agent loads the replica.
export async function update(ctx: Ctx, names: string[]): Promise<number> {
  const force = takeForce(names);
  const only = names.includes('all') ? [] : names;
  const view = await viewOf(ctx);
  if (only.length > 0) {
    for (const g of only) {
      const problem = nameProblem(g);
      if (problem) throw new Refused(`refused: "${g}": ${problem}`);
      if (!view.registry.has(g) && !view.loaded.has(g)) {
        const hint = view.parked.has(g) ? ` (it is parked: supzcli start ${g})` : '';
        throw new Refused(`refused: "${g}" is not a registered or loaded group${hint}`);
      }
    }
  }
  let touched = only;
  if (only.length === 0) {
    const diff = await ctx.client.reloadConfig();
    touched = [...diff.added, ...diff.changed, ...diff.removed];
  }
  await requireMaster(ctx, 'update', await setsOf(ctx, view, touched), force, `supzcli update --force ${only.join(' ') || 'NAME'}`);
  const res = await updateGroups(ctx.client, only);
  for (const g of res.removed) ctx.io.out(`${g}: stopped\n${g}: removed process group`);
  for (const g of res.changed) ctx.io.out(`${g}: stopped\n${g}: updated process group`);
  for (const g of res.added) ctx.io.out(`${g}: added process group`);
  for (const p of res.problems) ctx.io.out(`${p.group}: ${p.message}`);
  return res.problems.length > 0 ? EXIT.FAILED : EXIT.OK;
}

// reread: what update would do, as supervisorctl prints it.
export async function reread(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError('reread takes no arguments (supervisord 4 refuses "reread NAME"; use update NAME)');
  const { added, changed, removed } = await ctx.client.reloadConfig();
  const changes = new Map<string, string>();
  for (const [names, what] of [
    [added, 'available'],
    [changed, 'changed'],
    [removed, 'disappeared'],
  ] as const)
    for (const n of names) changes.set(n, what);
  if (changes.size === 0) ctx.io.out('No config updates to processes');
  for (const n of [...changes.keys()].sort()) ctx.io.out(`${n}: ${changes.get(n)}`);
  return EXIT.OK;
}
