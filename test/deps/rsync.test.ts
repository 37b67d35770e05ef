import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type SyncNode, type SyncPair, startSyncPair } from '../helpers/sync-pair.js';
import { waitFor } from '../helpers/tmp.js';

const conf = (name: string) => `[program:${name}]\ncommand=/bin/sleep 100000\nautostart=false\nstartsecs=0\n`;

// The peer's rsync daemon down, serving the wrong module, and hung (SIGSTOP): the MASTER's pushes
// fail with rsync's reason, are retried with backoff, status shows the peer lagging; once the
// daemon is right again the replica catches up. Two hosts, real rsync daemons and agents.
describe('rsync failing and slow', { timeout: 120_000 }, () => {
  let pair: SyncPair;
  const n1 = () => pair.nodes[0] as SyncNode;
  const n2 = () => pair.nodes[1] as SyncNode;
  const confs = async (dir: string) =>
    JSON.stringify(
      await Promise.all(
        (await readdir(dir))
          .filter((f) => f.endsWith('.conf'))
          .sort()
          .map(async (f) => [f, await readFile(join(dir, f), 'utf8')]),
      ),
    );
  const caughtUp = async () => {
    await waitFor('the replica to catch up', async () => (await confs(n1().registry)) === (await confs(n2().registry)), 20_000);
    const p = await waitFor('the peer in sync', async () => {
      const x = (await n1().syncStatus()).peers[0];
      return x.state === 'in-sync' && x.failures === 0 && x;
    });
    assert.equal(p.lagMs < 5_000, true);
  };
  // The peer's status between two retries, once pushes have failed at least twice with an error
  // matching `re` (a snapshot taken while a retry runs says 'pushing'; with retries 100 ms apart
  // that is often).
  // `during`: also a snapshot taken while the next push runs (a hung daemon: each push waits out
  // timeout-ms 3 s and the gaps between them are 100-500 ms, too short to catch on a loaded host).
  const failing = (re: RegExp, during = false) =>
    waitFor(
      `pushes failing with ${re}`,
      async () => {
        const p = (await n1().syncStatus()).peers[0];
        const between = p.state === 'retrying' || (during && p.state === 'pushing');
        return p.failures >= 2 && between && re.test(p.lastError?.message ?? '') && p;
      },
      20_000,
      100,
    );

  before(async () => {
    pair = await startSyncPair();
    await n1().setRole('MASTER');
    await n2().setRole('BACKUP');
    await writeFile(join(n1().registry, 'a.conf'), conf('a'));
    await caughtUp();
  });
  after(async () => {
    await pair?.destroy();
  });

  test('daemon down: retried with backoff, lagging, caught up when it is back', async () => {
    await n2().rsyncd.kill();
    await writeFile(join(n1().registry, 'b.conf'), conf('b'));
    const p = await failing(/rsync exit (10|35) /);
    assert.equal(p.state, 'retrying');
    assert.ok(p.nextRetryAt !== null, 'a retry is scheduled');
    assert.ok(p.lagMs > 0, `lagging ${p.lagMs} ms`);
    assert.equal(p.lastError.message.split('\n').length, 1, p.lastError.message);
    // Backoff: the gap to the next retry grows with the failures (retry-min 100 ms, max 500 ms).
    const later = await failing(/rsync exit/);
    assert.ok(later.failures >= p.failures);
    await n2().rsyncd.start();
    await caughtUp();
  });

  test('bad module: the error names it; caught up when the module is back', async () => {
    const cfg = await readFile(n2().rsyncd.confPath, 'utf8');
    await writeFile(n2().rsyncd.confPath, cfg.replace('[supha]', '[renamed]'));
    await n2().rsyncd.start();
    try {
      await writeFile(join(n1().registry, 'c.conf'), conf('c'));
      const p = await failing(/rsync exit 5 .*[Uu]nknown module/);
      assert.equal(p.state, 'retrying');
    } finally {
      await writeFile(n2().rsyncd.confPath, cfg);
      await n2().rsyncd.start();
    }
    await caughtUp();
  });

  test('daemon hung (SIGSTOP): the push times out, is retried, status shows the lag; caught up after SIGCONT', async () => {
    process.kill(n2().rsyncd.pid, 'SIGSTOP');
    try {
      await writeFile(join(n1().registry, 'd.conf'), conf('d'));
      const p = await failing(/rsync exit (30|35) |timed out/, true);
      assert.equal(p.state === 'retrying' || p.state === 'pushing', true, p.state);
      assert.ok(p.lagMs >= 3_000, `lagging ${p.lagMs} ms (timeout-ms 3000)`);
      assert.equal((await confs(n2().registry)).includes('d.conf'), false);
    } finally {
      process.kill(n2().rsyncd.pid, 'SIGCONT');
    }
    await caughtUp();
  });
});
