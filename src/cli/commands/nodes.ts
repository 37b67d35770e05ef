import { join } from 'node:path';
import { eachNodeStop, ensureGroupUp, readRoles } from '../../bluegreen/index.js';
import { loadConfig } from '../../config/index.js';
import { EXIT } from '../../errors.js';
import { checkRound, formatRound } from '../../health/index.js';
import { createLogger } from '../../util/log.js';
import type { Io } from '../io.js';

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
  if (args.action === 'start') {
    const group = roles.primary['group-name'];
    const actions = await ensureGroupUp({ cfg, log }, group, { onlyDead: false });
    for (const a of actions) io.out(`${a.node.padEnd(20)} ${a.action}${a.detail ? `: ${a.detail}` : ''}`);
    return actions.some((a) => a.action === 'failed' || a.action === 'gave-up') ? EXIT.FAILED : EXIT.OK;
  }
  const group = roles.standby['group-name'];
  const stopped = await eachNodeStop({ cfg, log }, group);
  for (const s of stopped) io.out(`${s.node.padEnd(20)} ${s.ok ? 'stopped' : `FAILED: ${s.detail}`}`);
  return stopped.every((s) => s.ok) ? EXIT.OK : EXIT.FAILED;
}
