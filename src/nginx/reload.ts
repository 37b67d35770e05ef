import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import { checkUrl } from '../health/check.js';
import { run, splitCommand } from '../util/exec.js';
import type { Logger } from '../util/log.js';
import type { NginxTarget } from './install.js';
import { childPids, masterPid } from './workers.js';

// Runs the reload command and waits until it really took: new worker pids under the master
// (pid file), else an answer through Nginx at verify-url, else only the command's exit code.
export async function reloadAndVerify(t: NginxTarget, log: Logger): Promise<string> {
  const master = await masterPid(t.pidFile);
  const before = master === undefined ? new Set<number>() : await childPids(master);
  const [file, args] = splitCommand(t.reloadCmd);
  await run(file, args, { timeoutMs: 30_000 });
  const deadline = Date.now() + t.reloadTimeoutMs;
  if (master !== undefined) {
    for (;;) {
      const now = await childPids(master);
      if ([...now].some((p) => !before.has(p))) return 'new worker pids';
      if (Date.now() > deadline)
        throw new UserError(`nginx (master ${master}) started no new workers within ${t.reloadTimeoutMs} ms: the reload did not take (see its error log)`);
      await sleep(25);
    }
  }
  if (t.verifyUrl) {
    const r = await checkUrl(t.verifyUrl, t.reloadTimeoutMs);
    if (r.code >= 500 || r.error) throw new UserError(`after reload ${t.verifyUrl} answered ${r.code}${r.error ? ` (${r.error})` : ''}`);
    return `a request through nginx (${r.code})`;
  }
  log.warn({ pidFile: t.pidFile }, 'no nginx pid file and no switch.verify-url: reload verified by its exit code only');
  return 'exit code only';
}
