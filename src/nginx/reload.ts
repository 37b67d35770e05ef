import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import { run, splitCommand } from '../util/exec.js';
import type { Logger } from '../util/log.js';
import { procArgv } from '../util/proc.js';
import { findMaster } from './locate.js';
import type { NginxTarget } from './target.js';
import { childPids } from './workers.js';

// An old worker that got the reload's QUIT renames itself before it closes its listeners
// (ngx_worker_process_cycle); gone is as good.
async function retired(pid: number): Promise<boolean> {
  const argv = await procArgv(pid);
  return argv.length === 0 || argv[0]!.includes('shutting down');
}

// Runs the reload command and waits until it really took: the running master (found by
// findMaster) has new worker pids and every old worker is shutting down, so a request sent
// after this returns reaches the new config. Fails with one line when it cannot tell.
export async function reloadAndVerify(t: NginxTarget, log: Logger): Promise<string> {
  const master = await findMaster(t.testCmd, t.home, t.pidFile);
  const before = await childPids(master.pid);
  const [file, args] = splitCommand(t.reloadCmd);
  await run(file, args, { timeoutMs: 30_000 });
  const deadline = Date.now() + t.reloadTimeoutMs;
  for (;;) {
    const now = await childPids(master.pid);
    if ([...now].some((p) => !before.has(p))) {
      const old = [...before].filter((p) => now.has(p));
      if ((await Promise.all(old.map(retired))).every(Boolean)) break;
    }
    if (Date.now() > deadline) {
      throw new UserError(
        `nginx (master ${master.pid} from ${master.pidFile}) did not replace its workers within ${t.reloadTimeoutMs} ms: the reload did not take (see its error log)`,
      );
    }
    await sleep(10);
  }
  log.debug({ master: master.pid, pidFile: master.pidFile }, 'nginx reload verified');
  return `new worker pids (master ${master.pid}, ${master.pidFile})`;
}
