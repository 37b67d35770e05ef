import type { Config } from '../config/index.js';
import { listNodes } from '../health/round.js';
import { nginxTarget, recoverInterruptedTest } from '../nginx/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { Logger } from '../util/log.js';
import { drainOld } from './drain.js';
import { clearJournal, type Journal, lastSwitchPath, readJournal } from './lock.js';
import { eachNode, type NodeCtx, stopNode } from './nodes.js';
import { rolesFor, writeRoles } from './roles.js';
import { renderGroup } from './upstream.js';

// Puts a failed or killed switch back: roles and upstream to `from`, the nodes of `to` it
// started stopped again. Idempotent: a second run does nothing new.
export async function undoSwitch(ctx: NodeCtx, j: Journal): Promise<void> {
  await writeRoles(ctx.cfg, rolesFor(ctx.cfg, j.from, j.to));
  await renderGroup(ctx.cfg, j.from, ctx.log, { force: true });
  const started = listNodes(ctx.cfg, j.to).filter((n) => !j['was-running'].includes(n.name));
  await eachNode(started, (n) => stopNode(ctx, n));
  await clearJournal(ctx.cfg);
  ctx.log.warn({ from: j.from, to: j.to, step: j.step }, 'switch rolled back');
}

// The end of a verified switch: the old group stopped (unless kept warm), recorded for rollback.
export async function finishSwitch(ctx: NodeCtx, j: Journal): Promise<void> {
  if (!j['keep-old']) await eachNode(listNodes(ctx.cfg, j.from), (n) => stopNode(ctx, n));
  await writeJsonAtomic(lastSwitchPath(ctx.cfg), { from: j.from, to: j.to, at: new Date().toISOString() });
  await clearJournal(ctx.cfg);
  ctx.log.info({ from: j.from, to: j.to }, 'switch complete');
}

// Run with the lock held, before a switch and at agent start: a journal left by a switch that
// was killed is finished (it had passed verification) or rolled back (it had not).
export async function recoverSwitch(cfg: Config, log: Logger, say: (line: string) => void = () => {}): Promise<'none' | 'completed' | 'rolled back'> {
  await recoverInterruptedTest(nginxTarget(cfg), log);
  const j = await readJournal(cfg);
  if (!j) return 'none';
  const ctx: NodeCtx = { cfg, log };
  if (j.step === 'verified') {
    say(`an interrupted switch ${j.from} -> ${j.to} had passed verification: completing it`);
    if (!j['keep-old']) say(await drainOld(cfg, j, listNodes(cfg, j.to), j['healthy-at'] ?? Date.now()));
    await finishSwitch(ctx, j);
    return 'completed';
  }
  say(`an interrupted switch ${j.from} -> ${j.to} stopped at step "${j.step}": rolling it back`);
  await undoSwitch(ctx, j);
  return 'rolled back';
}
