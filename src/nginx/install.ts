import { readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { errorMessage, UserError } from '../errors.js';
import { nginxOf } from '../health/round.js';
import { writeFileAtomic } from '../util/atomic.js';
import { run, splitCommand } from '../util/exec.js';
import type { Logger } from '../util/log.js';
import { findNginx } from './locate.js';
import { reloadAndVerify } from './reload.js';
import type { NginxTarget } from './target.js';
import { type TestOutcome, testWithCopy } from './testconf.js';

export type { NginxTarget } from './target.js';

// Without nginx-test-cmd / nginx-reload-cmd, the binary findNginx finds is used.
export function nginxTarget(cfg: Config): NginxTarget {
  const n = nginxOf(cfg);
  const home = n['nginx-home'];
  const found = n['nginx-test-cmd'] === undefined || n['nginx-reload-cmd'] === undefined ? findNginx(home) : undefined;
  const binary = found?.binary ?? join(home, 'sbin', 'nginx');
  const t: NginxTarget = {
    live: n['upstream-conf-path'],
    home,
    pidFile: n['pid-file'],
    testCmd: n['nginx-test-cmd'] ?? `${binary} -t`,
    reloadCmd: n['nginx-reload-cmd'] ?? `${binary} -s reload`,
    verifyUrl: n.switch['verify-url'],
    reloadTimeoutMs: 10_000,
  };
  if (found && found.binary === undefined) {
    t.missing = `no nginx binary: not ${found.tried[0]} and not on PATH; set nginx.nginx-home (the prefix with sbin/nginx) or nginx.nginx-test-cmd and nginx.nginx-reload-cmd`;
  }
  return t;
}

export const lastGoodPath = (t: NginxTarget) => `${t.live}.last-good`;
const candidatePath = (t: NginxTarget) => `${t.live}.candidate`;
const rejectedPath = (t: NginxTarget) => `${t.live}.rejected`;
// Present only while a candidate sits at the live path for `nginx -t`.
const testingMark = (t: NginxTarget) => `${t.live}.testing`;
// Present from before the live file changes until Nginx has verifiably reloaded it: found at the
// next install, that one reloads even when the text is unchanged.
export const pendingPath = (t: NginxTarget) => `${t.live}.pending`;

export type InstallResult = { changed: false } | { changed: true; ms: number; verifiedBy: string };

async function readMaybe(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// A run killed while a candidate was being tested left it at the live path: put the last good
// file back. Returns true when it did.
export async function recoverInterruptedTest(t: NginxTarget, log: Logger): Promise<boolean> {
  if (!(await exists(testingMark(t)))) return false;
  const good = await readMaybe(lastGoodPath(t));
  if (good !== undefined) await writeFileAtomic(t.live, good);
  await rm(testingMark(t), { force: true });
  log.warn({ live: t.live }, 'an interrupted nginx -t left a candidate live; last good upstream put back');
  return true;
}

// Puts `text` live: candidate beside the live file, nginx -t on it, atomic rename, reload, verify.
// The file it replaces is kept as `.last-good`; on any failure it goes back (and Nginx is
// reloaded when it had been). Same text as live: nothing happens.
export async function installUpstream(t: NginxTarget, text: string, log: Logger): Promise<InstallResult> {
  if (t.missing !== undefined) throw new UserError(t.missing);
  await recoverInterruptedTest(t, log);
  const previous = await readMaybe(t.live);
  const hadPending = await exists(pendingPath(t));
  const started = performance.now();
  if (previous === text) {
    if (!hadPending) return { changed: false };
    log.warn({ live: t.live }, 'a previous install did not finish its reload; reloading nginx now');
    const verifiedBy = await reloadAndVerify(t, log);
    await rm(pendingPath(t), { force: true });
    return { changed: true, ms: Math.round(performance.now() - started), verifiedBy };
  }
  await writeFileAtomic(candidatePath(t), text);
  if (previous !== undefined) await writeFileAtomic(lastGoodPath(t), previous);
  const putBack = async () => {
    if (previous === undefined) await rm(t.live, { force: true });
    else await writeFileAtomic(t.live, previous);
  };
  await writeFileAtomic(pendingPath(t), text);

  const test = await testCandidate(t);
  if (!test.ok) {
    await writeFileAtomic(rejectedPath(t), text);
    if (test.how === 'swap') await putBack();
    await rm(testingMark(t), { force: true });
    await rm(candidatePath(t), { force: true });
    if (!hadPending) await rm(pendingPath(t), { force: true });
    const said = test.said.split('\n').filter((l) => /emerg|error|failed/i.test(l))[0] ?? test.said.trim();
    log.error({ live: t.live, said }, 'nginx -t rejected the new upstream; live file unchanged');
    throw new UserError(`nginx -t rejected the new upstream (kept as ${rejectedPath(t)}): ${said.trim()}`);
  }
  if (test.how === 'copy') await rename(candidatePath(t), t.live);
  await rm(testingMark(t), { force: true });

  try {
    const verifiedBy = await reloadAndVerify(t, log);
    await rm(pendingPath(t), { force: true });
    log.info({ live: t.live, verifiedBy }, 'upstream installed and nginx reloaded');
    return { changed: true, ms: Math.round(performance.now() - started), verifiedBy };
  } catch (err) {
    await putBack();
    const again = await reloadAndVerify(t, log).then(
      async () => {
        await rm(pendingPath(t), { force: true });
        return 'nginx reloaded with it';
      },
      (e: unknown) => `and reloading it failed too: ${errorMessage(e)}`,
    );
    log.error({ err, live: t.live }, `reload failed; last good upstream put back, ${again}`);
    throw new UserError(`nginx reload: ${errorMessage(err)}; last good upstream put back, ${again}`);
  }
}

// Tests the candidate: through a copy of the main conf when it includes the live path
// literally (the live file is never touched), else with the candidate swapped in for the test.
async function testCandidate(t: NginxTarget): Promise<TestOutcome> {
  const copied = await testWithCopy(t.testCmd, t.live, candidatePath(t));
  if (copied) return copied;
  // NOTE: nginx -t tests the whole config, which includes the live path (by a glob, say), so
  // the candidate is renamed over it for the test; Nginx never loads it unless the test passes.
  await writeFileAtomic(testingMark(t), '');
  await rename(candidatePath(t), t.live);
  const [file, args] = splitCommand(t.testCmd);
  const r = await run(file, args, { reject: false, timeoutMs: 30_000 }).catch((err: unknown) => ({ exitCode: -1, stderr: errorMessage(err), stdout: '' }));
  return { ok: r.exitCode === 0, said: r.stderr || r.stdout, how: 'swap' };
}
