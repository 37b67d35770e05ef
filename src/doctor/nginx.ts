import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { nginxTarget } from '../nginx/install.js';
import { findMaster } from '../nginx/locate.js';
import { run, splitCommand } from '../util/exec.js';
import { type Check, fail, ok } from './types.js';

// The configured test command passes, and the pid file names a live Nginx master (a reload is
// verified by new worker pids under it).
export async function nginxChecks(cfg: Config): Promise<Check[]> {
  if (!cfg.nginx) return [];
  const t = nginxTarget(cfg);
  const out: Check[] = [];
  try {
    const [file, args] = splitCommand(t.testCmd);
    const res = await run(file, args, { timeoutMs: 15_000, reject: false });
    const said = (res.stderr || res.stdout).trim().split('\n').slice(-2).join(' | ');
    if (res.exitCode === 0) out.push(ok('nginx -t', `${t.testCmd}: passes`));
    else out.push(fail('nginx -t', `${t.testCmd}: exit ${res.exitCode}: ${said}`, 'fix what nginx says, or set nginx.nginx-test-cmd'));
  } catch (err) {
    out.push(fail('nginx -t', errorMessage(err), 'set nginx.nginx-test-cmd to the nginx binary the server runs (e.g. "/usr/sbin/nginx -t")'));
  }
  // The same search a reload's verification makes: a pid file it cannot find fails every render.
  try {
    const m = await findMaster(t.testCmd, t.home, t.pidFile);
    out.push(ok('nginx pid-file', `${m.pidFile}: master ${m.pid}`));
  } catch (err) {
    out.push(fail('nginx pid-file', errorMessage(err), 'start nginx, or set nginx.pid-file to the `pid` of its nginx.conf (nginx -T | grep pid)'));
  }
  return out;
}
