import { readFile } from 'node:fs/promises';
import type { Config } from '../config/index.js';
import { errorMessage, UserError } from '../errors.js';
import { listNodes, nginxOf } from '../health/round.js';
import type { SupervisorClient } from '../supervisor/index.js';
import type { Logger } from '../util/log.js';
import { drainOld, nginxWorkers } from './drain.js';
import { healthGate, verifyWindow } from './gate.js';
import { runHook, upgradeCommand } from './hooks.js';
import { type Journal, lastSwitchPath, takeLock, writeJournal } from './lock.js';
import { eachNode, isNodeUp, type NodeCtx, startNode, stopNode } from './nodes.js';
import { finishSwitch, recoverSwitch, undoSwitch } from './recover.js';
import { readRoles, recordVersion, swapped, writeRoles } from './roles.js';
import { StepError, Steps, SwitchFailed } from './steps.js';
import { renderGroup } from './upstream.js';

export interface SwitchOptions {
  log: Logger;
  // Lines for the person watching (stdout); the log gets its own records.
  say: (line: string) => void;
  // Run the target group's upgrade-cmd (with its nodes stopped) before starting it; with
  // `version`, that is its last argument (and SUPHA_VERSION) and is recorded for the group.
  upgrade?: boolean;
  version?: string | undefined;
  // The group the operator wants primary: already primary (after recovery) = nothing to do.
  to?: string | undefined;
  // Leave the old group running after the switch, for a fast `supha rollback`.
  keepOld?: boolean;
  // `rollback`: only when a previous switch is recorded and its target is still primary.
  rollback?: boolean;
  client?: SupervisorClient;
  signal?: AbortSignal;
}

export interface SwitchReport {
  from: string;
  to: string;
  ms: number;
  // --to named the group that was primary already: nothing was done.
  already?: boolean;
  steps: { step: string; ms: number }[];
}

// The whole switch under the lock: recover a killed one first, then switch standby to primary.
// A rollback that finds an interrupted switch and rolls it back stops there (undefined).
export async function runSwitch(cfg: Config, opts: SwitchOptions): Promise<SwitchReport | undefined> {
  const what = opts.rollback ? 'rollback' : 'switch';
  const lock = await takeLock(cfg, what, { waitMs: nginxOf(cfg).switch['lock-wait-ms'], say: opts.say });
  try {
    const recovered = await recoverSwitch(cfg, opts.log, opts.say);
    if (opts.rollback && recovered === 'rolled back') {
      opts.say('that was the rollback: the previous roles and upstream are back');
      return undefined;
    }
    if (opts.rollback) await checkRollback(cfg);
    if (opts.to !== undefined) {
      const roles = await readRoles(cfg);
      listNodes(cfg, opts.to);
      if (roles.primary['group-name'] === opts.to) {
        opts.say(`${opts.to} is primary already: nothing to switch`);
        return { from: opts.to, to: opts.to, ms: 0, steps: [], already: true };
      }
    }
    return await switchOnce(cfg, opts);
  } finally {
    await lock.release();
  }
}

async function checkRollback(cfg: Config): Promise<void> {
  const text = await readFile(lastSwitchPath(cfg), 'utf8').catch(() => undefined);
  if (text === undefined) throw new UserError('rollback refused: no switch recorded to roll back (switch with supha switch)');
  let last: { from?: unknown; to?: unknown };
  try {
    last = JSON.parse(text) as { from?: unknown; to?: unknown };
  } catch (err) {
    throw new UserError(`rollback refused: ${lastSwitchPath(cfg)} is not valid JSON (${errorMessage(err)}); fix or remove it`);
  }
  if (typeof last?.to !== 'string') throw new UserError(`rollback refused: ${lastSwitchPath(cfg)} names no target group ("to")`);
  const roles = await readRoles(cfg);
  if (roles.primary['group-name'] !== last.to) {
    throw new UserError(`rollback refused: the last switch went to ${last.to}, but ${roles.primary['group-name']} is primary now`);
  }
}

async function switchOnce(cfg: Config, opts: SwitchOptions): Promise<SwitchReport> {
  const nginx = nginxOf(cfg);
  const roles = await readRoles(cfg);
  const from = roles.primary['group-name'];
  const to = roles.standby['group-name'];
  const upgradeCmd = upgradeCommand(cfg, to);
  if (opts.upgrade && !upgradeCmd) throw new UserError(`--upgrade: group ${to} has no upgrade-cmd in the config`);
  const toNodes = listNodes(cfg, to);
  const ctx: NodeCtx = opts.client ? { cfg, log: opts.log, client: opts.client } : { cfg, log: opts.log };
  const sw = nginx.switch;
  const both = sw.mode === 'both-groups';
  const env = { from, to, version: opts.version };
  const steps = new Steps(opts.say);
  const log = opts.log.child({ switch: `${from}->${to}` });
  steps.line(`${opts.rollback ? 'rollback' : 'switch'}: ${from} (primary) -> ${to} (standby)${both ? ', no reload (switch.mode both-groups)' : ''}`);
  log.info({ from, to, upgrade: !!opts.upgrade, version: opts.version, mode: sw.mode }, 'switch begins');

  const j: Journal = { from, to, step: 'starting', 'started-at': new Date().toISOString(), 'was-running': [], 'keep-old': !!opts.keepOld, mode: sw.mode };
  let healthyAt = Date.now();
  try {
    if (!opts.upgrade) {
      const up = await Promise.all(toNodes.map((n) => isNodeUp(ctx, n).catch(() => false)));
      j['was-running'] = toNodes.filter((_, i) => up[i]).map((n) => n.name);
    }
    await writeJournal(cfg, j);
    if (both) {
      // The first switch in this mode puts both groups in the upstream (one reload, once).
      const r = await renderGroup(cfg, from, log);
      if (r.result.changed) steps.line(`upstream ${nginx.upstream['upstream-name']} now holds both groups (reload verified by ${r.result.verifiedBy})`);
    }
    if (opts.upgrade && upgradeCmd) {
      const shown = `${upgradeCmd}${opts.version ? ` ${opts.version}` : ''}`;
      await steps.step(`upgrade ${to}: stop its nodes, run ${shown}`, async () => {
        await eachNode(toNodes, (n) => stopNode(ctx, n));
        await runHook(upgradeCmd, env, opts.signal, opts.version ? [opts.version] : []);
        if (opts.version) await recordVersion(cfg, to, opts.version);
      });
    }
    opts.signal?.throwIfAborted();
    const toStart = toNodes.filter((n) => !j['was-running'].includes(n.name));
    await steps.step(`start ${to}: ${toStart.map((n) => n.name).join(', ') || '(all already up)'}`, () => eachNode(toStart, (n) => startNode(ctx, n)));
    await writeJournal(cfg, { ...j, step: 'gate' });
    await steps.step(`health gate: ${sw['health-passes']} passes in a row per non-backup node of ${to}, within ${sw['health-deadline-ms']} ms`, () =>
      healthGate(cfg, toNodes, opts.signal),
    );
    healthyAt = Date.now();
    j['healthy-at'] = healthyAt;
    const pre = sw['pre-switch-cmd'];
    if (pre) await steps.step(`pre-switch: ${pre}`, () => runHook(pre, env, opts.signal));
    opts.signal?.throwIfAborted();
    await writeJournal(cfg, { ...j, step: 'swapped' });
    await steps.step(`swap roles: ${to} primary, ${from} standby`, () => writeRoles(cfg, swapped(roles)));
    opts.signal?.throwIfAborted();
    if (!both) {
      const old = await nginxWorkers(cfg);
      if (old) Object.assign(j, { 'nginx-master': old.master, 'old-workers': old.pids });
      await writeJournal(cfg, { ...j, step: 'swapped' });
      await steps.step(`upstream ${nginx.upstream['upstream-name']} -> ${to}: render, nginx -t, reload, verify`, async () => {
        const r = await renderGroup(cfg, to, log);
        if (r.result.changed) steps.line(`  reload verified by ${r.result.verifiedBy}`);
      });
    }
    const through = sw['verify-url'] ? ` and through nginx${!both && sw['verify-header'] ? ` (${sw['verify-header']} names a node of ${to})` : ''}` : '';
    await steps.step(`verify for ${sw['verify-window-ms']} ms: ${to} directly${through}, ${sw['verify-failures']} failures tolerated`, () =>
      verifyWindow(cfg, toNodes, opts.signal, { checkHeader: !both }),
    );
    await writeJournal(cfg, { ...j, step: 'verified' });
  } catch (err) {
    const step = err instanceof StepError ? err.step : steps.current;
    const reason = opts.signal?.aborted ? errorMessage(opts.signal.reason) : errorMessage(err);
    log.error({ err, step }, 'switch failed; rolling back');
    steps.line(`rolling back: roles and upstream to ${from}, stopping what was started`);
    const undo = await undoSwitch(ctx, j).then(
      () => `rolled back to ${from}`,
      (e: unknown) => `ROLLBACK FAILED too (${errorMessage(e)}); the journal is kept, the next supha switch retries it`,
    );
    steps.line(undo);
    throw new SwitchFailed(step, reason, undo);
  }

  if (opts.keepOld) steps.line(`${from} left running (warm) for supha rollback; supha nodes stop-standby stops it`);
  const drain = both
    ? `wait until nginx sends to ${to} (its marks run out: fail_timeout + 1 s; then at most max(2 s, 2 x fail_timeout)), then stop ${from}`
    : `drain: wait for nginx's old workers to exit (at most ${sw['drain-ms']} ms), then stop ${from}`;
  await steps.step(opts.keepOld ? 'record the switch' : drain, async () => {
    try {
      if (!opts.keepOld) steps.line(`  ${await drainOld(cfg, j, toNodes, healthyAt, opts.signal)}`);
    } catch (err) {
      throw new UserError(
        `${opts.signal?.aborted ? errorMessage(opts.signal.reason) : errorMessage(err)} after verification: ${to} serves; supha switch --recover stops ${from}`,
      );
    }
    await finishSwitch(ctx, j).catch((err: unknown) => {
      throw new UserError(`switched, but stopping ${from} failed: ${errorMessage(err)}`);
    });
  });
  const post = sw['post-switch-cmd'];
  if (post) {
    await steps
      .step(`post-switch: ${post}`, () => runHook(post, env, opts.signal))
      .catch((err: unknown) => {
        throw new UserError(`switched to ${to}, but post-switch-cmd failed: ${errorMessage(err)}`);
      });
  }
  const ms = Math.round(steps.elapsedMs());
  steps.line(`done: ${to} is primary (${(ms / 1000).toFixed(2)}s)`);
  return { from, to, ms, steps: steps.done };
}
