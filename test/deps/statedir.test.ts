import assert from 'node:assert/strict';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/util/exec.js';
import { type AgentProc, oneSetConfig, startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { tempDir, waitFor, writeJson } from '../helpers/tmp.js';
import { tornFiles } from '../kill9/files.js';

// The agent's state dir on a small tmpfs of its own: filled up, then remounted read-only. A
// write there (a hold, the track file) fails with one line naming the file and the reason, the
// old file stays whole, no temp file is left; the agent runs on and writes again once it can.
describe('state dir full and read-only', { timeout: 120_000 }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let sv: Supervisord;
  let agent: AgentProc | undefined;
  let ka: { pid: number; kill(): Promise<void>; stop(): Promise<void> };
  let cfgPath: string;
  let state: string;
  let mounted = false;
  const cli = (...args: string[]) => supha(['--config', cfgPath, ...args]);
  const holdFile = () => readFile(join(state, 'hold.json'), 'utf8');

  before(async () => {
    tmp = await tempDir('supha-deps-state-');
    const reg = join(tmp.dir, 'app');
    await mkdir(reg);
    await writeFile(join(reg, 'a.conf'), programConf('a', { command: '/bin/sleep 100000' }));
    sv = await startSupervisord({ dir: join(tmp.dir, 'sv'), include: [join(reg, '*.conf')] });
    ka = await loneKeepalived(tmp.dir, join(tmp.dir, 'ka.fifo'));
    await writeFile(join(tmp.dir, 'ka.pid'), `${ka.pid}\n`);
    state = join(tmp.dir, 'state');
    await mkdir(state, { mode: 0o700 });
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', state], { timeoutMs: 10_000 });
    mounted = true;
    cfgPath = await writeJson(join(tmp.dir, 'config.json'), await oneSetConfig(sv.url, 'app', { 'reconcile-interval-ms': 300 }));
    agent = await startAgent(cfgPath, join(state, 'agent.sock'));
    assert.equal((await cli('notify', 'INSTANCE', 'VI_1', 'MASTER')).code, 0);
    await waitFor('a RUNNING', async () => (await sv.client().getProcessInfo('a')).statename === 'RUNNING');
    assert.equal((await cli('hold', '--set', 'other-reason-holder', '--reason', 'x')).code !== 0, true, 'an unknown set is refused');
    assert.equal((await cli('hold', '--set', 'app', '--reason', 'before')).code, 0);
    assert.equal((await cli('release', '--set', 'app')).code, 0);
  });
  after(async () => {
    await agent?.stop();
    await ka?.stop();
    if (mounted) await run('umount', ['-l', state], { timeoutMs: 10_000 }).catch(() => {});
    await sv?.stop();
    await tmp?.cleanup();
  });

  // No torn file and no temp file that stays (a write in progress, e.g. the agent retrying a carry
  // note into the full dir, has one for a moment: the atomic writer removes it when it fails).
  const noTorn = () =>
    waitFor('no torn or temp file left', async () => (await tornFiles(state)).length === 0, 3_000).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${(await tornFiles(state)).join(', ')}`);
    });

  // A failed hold: one line naming the file and `reason`, hold.json as it was, nothing torn.
  const refused = async (reason: RegExp) => {
    const before = await holdFile();
    const r = await cli('hold', '--set', 'app', '--reason', 'during trouble');
    assert.notEqual(r.code, 0, r.stdout);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, reason);
    assert.match(r.stderr, /hold\.json/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
    assert.equal(await holdFile(), before, 'hold.json unchanged');
    await noTorn();
    assert.equal((await agent!.status()).holds.app, undefined, 'not held');
  };

  test('full: a hold fails with one line, nothing torn, no temp file; works again once there is space', async () => {
    const filler = join(state, 'filler');
    const fh = await open(filler, 'w');
    try {
      for (;;) await fh.write(Buffer.alloc(16 * 1024, 1));
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      await fh.close();
    }
    await refused(/ENOSPC|no space/i);
    // The agent goes on: a demotion stops the set although the track file cannot be written.
    assert.equal((await cli('notify', 'INSTANCE', 'VI_1', 'BACKUP')).code, 0);
    await waitFor('a STOPPED', async () => (await sv.client().getProcessInfo('a')).statename === 'STOPPED');
    await noTorn();
    await rm(filler);
    await waitFor('the track file written again', async () => (await readFile(join(state, 'track', 'app'), 'utf8')).trim() === '0', 5_000);
    assert.equal((await cli('hold', '--set', 'app', '--reason', 'space again')).code, 0);
    assert.equal((await cli('release', '--set', 'app')).code, 0);
  });

  test('read-only: a hold fails with one line, nothing changed; works again once writable', async () => {
    await run('mount', ['-o', 'remount,ro', state], { timeoutMs: 10_000 });
    try {
      await refused(/EROFS|read-only/i);
      assert.equal((await cli('notify', 'INSTANCE', 'VI_1', 'MASTER')).code, 0);
      await waitFor('a RUNNING while the state dir is read-only', async () => (await sv.client().getProcessInfo('a')).statename === 'RUNNING');
      assert.equal((await readFile(join(state, 'track', 'app'), 'utf8')).trim(), '0', 'the old track file, whole');
    } finally {
      await run('mount', ['-o', 'remount,rw', state], { timeoutMs: 10_000 });
    }
    assert.equal((await cli('hold', '--set', 'app', '--reason', 'writable again')).code, 0);
    assert.equal((await agent!.status()).holds.app.reason, 'writable again');
  });
});
