import { join } from 'node:path';
import { readRoles, renderGroup, takeLock } from '../../bluegreen/index.js';
import { loadConfig } from '../../config/index.js';
import { EXIT } from '../../errors.js';
import { nginxTarget } from '../../nginx/index.js';
import { createLogger } from '../../util/log.js';
import type { Io } from '../io.js';
import { checkMaster } from './master.js';

type Args = { config?: string | undefined; force?: boolean | undefined; print?: boolean | undefined };

// supha upstream render: the primary group's upstream block, tested, installed, reloaded, verified.
export async function upstreamCommand(args: Args, io: Io): Promise<number> {
  const cfg = await loadConfig(args.config, io.env);
  const log = createLogger({ destination: join(cfg['state-dir'], 'bluegreen.log') }).child({ module: 'upstream' });
  await checkMaster(cfg, 'upstream render').catch((err: unknown) => {
    log.error({ err }, 'upstream render refused');
    throw err;
  });
  const lock = await takeLock(cfg, 'upstream render').catch((err: unknown) => {
    log.error({ err }, 'upstream render refused');
    throw err;
  });
  try {
    const group = (await readRoles(cfg)).primary['group-name'];
    const r = await renderGroup(cfg, group, log, { force: !!args.force });
    if (args.print) io.out(r.text.trimEnd());
    const live = nginxTarget(cfg).live;
    if (r.result.changed) io.out(`${live}: group ${group} installed, nginx reloaded (verified by ${r.result.verifiedBy}, ${r.result.ms} ms)`);
    else io.out(`${live}: already renders group ${group}; nothing reloaded`);
    return EXIT.OK;
  } finally {
    await lock.release();
  }
}
