import { join } from 'node:path';
import { Alerter } from '../../alert/index.js';
import { recoverSwitch, runSwitch, SwitchFailed, takeLock } from '../../bluegreen/index.js';
import type { Config } from '../../config/index.js';
import { loadConfig } from '../../config/index.js';
import { EXIT } from '../../errors.js';
import { createLogger, type Logger } from '../../util/log.js';
import { onSignals } from '../../util/signals.js';
import type { Io } from '../io.js';
import { checkMaster, tellAgent } from './master.js';

type Args = {
  config?: string | undefined;
  // --upgrade alone: '' (yargs string); --upgrade VERSION: the version.
  upgrade?: string | boolean | undefined;
  to?: string | undefined;
  'keep-old'?: boolean | undefined;
  recover?: boolean | undefined;
};

// supha switch / supha rollback: steps and times on stdout, log records in <state-dir>/bluegreen.log.
export async function switchCommand(args: Args, io: Io, rollback = false): Promise<number> {
  const cfg = await loadConfig(args.config, io.env);
  const log = createLogger({ destination: join(cfg['state-dir'], 'bluegreen.log') }).child({ module: 'switch' });
  await checkMaster(cfg, args.recover ? 'switch --recover' : rollback ? 'rollback' : 'switch');
  if (args.recover) {
    const lock = await takeLock(cfg, 'switch --recover', { waitMs: cfg.nginx?.switch['lock-wait-ms'] ?? 0, say: io.out });
    try {
      const r = await recoverSwitch(cfg, log, io.out);
      io.out(r === 'none' ? 'no interrupted switch to recover' : `interrupted switch ${r}`);
    } finally {
      await lock.release();
    }
    return EXIT.OK;
  }
  // Ctrl-C or SIGTERM: the switch stops at the next step boundary and rolls back (after
  // verification it leaves the journal for switch --recover, which completes it).
  const stop = new AbortController();
  // SIGHUP too: a closed terminal rolls the switch back as Ctrl-C does. A second signal is
  // said and ignored; SIGKILL leaves the journal for the next switch.
  const off = onSignals(['SIGINT', 'SIGTERM', 'SIGHUP'], (sig) => {
    if (!stop.signal.aborted) stop.abort(new Error(`interrupted by ${sig}`));
    else io.err(`supha: ${sig} again: the switch finishes its current step and rolls back (SIGKILL leaves the journal to the next supha switch)`);
  });
  const t0 = performance.now();
  try {
    const version = typeof args.upgrade === 'string' && args.upgrade !== '' ? args.upgrade : undefined;
    const report = await runSwitch(cfg, {
      log,
      say: io.out,
      upgrade: args.upgrade !== undefined && args.upgrade !== false,
      version,
      to: args.to,
      keepOld: !!args['keep-old'],
      rollback,
      signal: stop.signal,
    });
    if (report && !report.already) await tellAgent(cfg, { op: 'switched', outcome: 'ok', ms: report.ms });
  } catch (err) {
    // Refusals too (lock held, nothing to roll back): every one leaves a log line with its reason.
    log.error({ err }, `${rollback ? 'rollback' : 'switch'} did not happen or failed`);
    if (err instanceof SwitchFailed) {
      const outcome = /ROLLBACK FAILED/.test(err.undo) ? 'failed' : 'rolled-back';
      await tellAgent(cfg, { op: 'switched', outcome, ms: Math.round(performance.now() - t0) });
      await switchAlert(cfg, log, err);
    }
    throw err;
  } finally {
    off();
  }
  return EXIT.OK;
}

// ha.alert-command for a failed switch (rolled back, or not even that): the CLI waits for it,
// bounded by ha.alert-timeout-ms.
async function switchAlert(cfg: Config, log: Logger, err: SwitchFailed): Promise<void> {
  if (!cfg.ha?.['alert-command']) return;
  const node = cfg.ha['node-name'] ?? (await import('node:os')).hostname();
  const alerter = new Alerter({ argv: cfg.ha['alert-command'], timeoutMs: cfg.ha['alert-timeout-ms'], node, project: cfg['project-name'], log });
  const rolledBack = !/ROLLBACK FAILED/.test(err.undo);
  alerter.send({ kind: rolledBack ? 'switch-rolled-back' : 'switch-failed', summary: err.message, step: err.step, reason: err.reason, undo: err.undo });
  await alerter.idle();
}
