import { join } from 'node:path';
import { eachNodeStop, ensureGroupUp, readRoles, takeLock } from '../../bluegreen/index.js';
import { loadConfig } from '../../config/index.js';
import { EXIT } from '../../errors.js';
import { checkRound, formatRound } from '../../health/index.js';
import { createLogger } from '../../util/log.js';
import type { Io } from '../io.js';
import { checkMaster } from './master.js';

type Args = { config?: string | undefined; action: string; json?: boolean | undefined };

// supha nodes check | start | stop-standby (the seed's health-check, startup and shutdown scripts).
export async function nodesCommand(args: Args, io: Io): Promise<number> {
  const cfg = await loadConfig(args.config, io.env);
  const log = createLogger({ destination: join(cfg['state-dir'], 'bluegreen.log') }).child({ module: 'nodes' });
  const roles = await readRoles(cfg);
  const roleOf = (g: string) => (g === roles.primary['group-name'] ? 'primary' : 'standby');
  if (args.action === 'check') {
    const entries = await checkRound(cfg);
    if (args.json) io.out(JSON.stringify(Object.fromEntries(entries.map((e) => [e.ref.name, e.health])), null, 4));
    else for (const line of formatRound(entries, roleOf)) io.out(line);
    return EXIT.OK;
  }
  // Starting nodes of a set's groups is the set MASTER's (a BACKUP's loop would stop them again).
  if (args.action === 'start') {
    await checkMaster(cfg, 'nodes start').catch((err: unknown) => {
      log.error({ err }, 'nodes start refused');
      throw err;
    });
  }
  // Starting and stopping groups waits for a running switch to be over (refused meanwhile).
  const lock = await takeLock(cfg, `nodes ${args.action}`).catch((err: unknown) => {
    log.error({ err }, `nodes ${args.action} refused`);
    throw err;
  });
  try {
    const now = await readRoles(cfg);
    if (args.action === 'start') {
      const actions = await ensureGroupUp({ cfg, log }, now.primary['group-name'], { onlyDead: false });
      for (const a of actions) io.out(`${a.node.padEnd(20)} ${a.action}${a.detail ? `: ${a.detail}` : ''}`);
      return actions.some((a) => a.action === 'failed' || a.action === 'gave-up') ? EXIT.FAILED : EXIT.OK;
    }
    const stopped = await eachNodeStop({ cfg, log }, now.standby['group-name']);
    for (const s of stopped) io.out(`${s.node.padEnd(20)} ${s.ok ? 'stopped' : `FAILED: ${s.detail}`}`);
    return stopped.every((s) => s.ok) ? EXIT.OK : EXIT.FAILED;
  } finally {
    await lock.release();
  }
}
