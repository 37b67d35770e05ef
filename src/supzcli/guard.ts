import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Ctx } from './context.js';
import { originOf } from './park.js';
import { Refused } from './refuse.js';
import type { View } from './view.js';

// Invariant 1: a program of a service set runs on at most one node, the set's MASTER; and only
// the MASTER edits the set's registry (elsewhere it is a replica). Before supzcli starts, stops or
// updates such a program it asks the local agent this node's role for the set.

// `--force` among a verb's words: taken out; true when it was there.
export function takeForce(args: string[]): boolean {
  const i = args.indexOf('--force');
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

// The service set whose registry holds `dir`, if any. Compared after realpath: a symlink, a
// trailing slash or a `..` names the same folder.
export function setOfDir(ctx: Ctx, dir: string): string | undefined {
  const want = real(dir);
  return Object.entries(ctx.cfg.serviceSets).find(([, reg]) => real(reg) === want)?.[0];
}

function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return resolve(p);
  }
}

// The service set of each group that has one: by its registry conf, else by where its parked conf
// came from. Groups only in supervisord's own conf have none.
export async function setsOf(ctx: Ctx, view: View, groups: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const g of groups) {
    const files = view.registry.get(g)?.files ?? [];
    const dirs = files.length > 0 ? files.map(dirname) : (view.parked.get(g)?.files ?? []).map((f) => dirname(originOf(f)));
    const set = dirs.map((d) => setOfDir(ctx, d)).find((s) => s !== undefined);
    if (set !== undefined) out.set(g, set);
  }
  return out;
}

// Throws Refused unless the local agent says this node is MASTER of every set named (what ->
// set). No agent answering is refused too, unless `force` (then a warning); `forceHint` says how.
export async function requireMaster(ctx: Ctx, verb: string, sets: ReadonlyMap<string, string>, force: boolean, forceHint?: string): Promise<void> {
  if (sets.size === 0) return;
  const { askAgent, AgentUnreachable } = await import('../agent/control-client.js');
  let roles: Record<string, { role?: string }> | undefined;
  try {
    const res = await askAgent(ctx.cfg.controlSocket, { op: 'status' }, 3_000);
    if (res.ok) roles = (res.status as { sets?: Record<string, { role?: string }> } | undefined)?.sets ?? {};
    else throw new Refused(`refused: ${verb}: the agent could not say this node's role: ${res.error}`);
  } catch (err) {
    if (!(err instanceof AgentUnreachable)) throw err;
    const [what = '', set = ''] = [...sets][0] ?? [];
    if (!force) {
      throw new Refused(
        `refused: ${verb} ${what}: it belongs to service set ${set} and no agent answers (${err.message}), so this node's role is unknown; start the agent (supha agent), or, if this node must run it anyway, ${forceHint ?? `supzcli ${verb} --force ${what}`}`,
      );
    }
    ctx.io.err(`supzcli: warning: no agent answers (${err.message}); --force: ${verb} without checking this node is MASTER`);
    ctx.forced = true;
    return;
  }
  for (const [what, set] of sets) {
    const role = roles[set]?.role ?? 'unknown to the agent';
    if (role !== 'MASTER') {
      const why =
        verb === 'start' || verb === 'restart'
          ? 'its programs run only on the MASTER'
          : `its registry here is a replica of the MASTER's: ${verb} it on the MASTER`;
      throw new Refused(`refused: ${verb} ${what}: this node is ${role} of service set ${set}, not MASTER; ${why}`);
    }
  }
}

// While supzcli stops or starts programs of a set, the local agent's loop leaves those groups
// alone (otherwise it may restart X between its stop and its park). Best effort: with no agent
// there is nothing to race. Returns the lift, to call when done.
export async function quiesce(ctx: Ctx, groups: readonly string[]): Promise<() => Promise<void>> {
  if (groups.length === 0) return async () => {};
  const { askAgent, AgentUnreachable } = await import('../agent/control-client.js');
  const ask = (ms: number) =>
    askAgent(ctx.cfg.controlSocket, { op: 'quiesce', groups: [...groups], ms }, 3_000).catch((err: unknown) => {
      if (!(err instanceof AgentUnreachable)) throw err;
      return undefined;
    });
  const res = await ask(QUIESCE_MS);
  if (res === undefined) return async () => {};
  if (!res.ok) throw new Refused(`refused: the agent would not leave ${groups.join(', ')} alone: ${res.error}`);
  return async () => {
    await ask(0);
  };
}

// Longer than any stop or start supzcli waits for; the agent lifts it by itself after that.
const QUIESCE_MS = 180_000;
