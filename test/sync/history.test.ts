import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { listHistory, pruneHistory, pushRegistry, restoreHistory } from '../../src/sync/index.js';
import { startRsyncd } from '../helpers/rsyncd.js';
import { tempDir } from '../helpers/tmp.js';

// Retention bounds the kept history, but never drops the last copy of a conf that is nowhere else
// on this node (not in the registry, not parked by supzcli): that copy is all that is left of it.
test('retention drops old stamps but keeps the last copy of a conf found nowhere else', async () => {
  const t = await tempDir('supha-hist-');
  try {
    const reg = t.dir;
    const put = async (stamp: string, file: string, text: string, ageDays: number) => {
      const dir = join(reg, '.supha-history', stamp);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, file), text);
      const when = new Date(Date.now() - ageDays * 86_400_000);
      await utimes(dir, when, when);
    };
    // gone.conf: deleted by a push long ago, in no registry now; two copies kept.
    await put('2020-01-01-push-a', 'gone.conf', 'gone v1', 400);
    await put('2020-01-02-push-a', 'gone.conf', 'gone v2', 399);
    await put('2020-01-02-push-a', 'here.conf', 'here old', 399);
    // here.conf is in the registry; parked.conf is in the parked store: their old copies may go.
    await put('2020-01-03-push-a', 'parked.conf', 'parked old', 398);
    await writeFile(join(reg, 'here.conf'), 'here now');
    const dropped = await pruneHistory(reg, { maxAgeDays: 30, maxCount: 100 }, Date.now(), new Set(['parked.conf']));
    assert.deepEqual(dropped, ['2020-01-01-push-a', '2020-01-03-push-a']);
    const kept = (await listHistory(reg)).map((k) => k.id);
    assert.deepEqual(kept, ['2020-01-02-push-a/gone.conf'], 'the newest copy of gone.conf stays; the rest is pruned');
    // By count too, and the stamp with the last copy stays whatever the bound.
    for (let i = 0; i < 5; i++) await put(`2026-01-0${i + 1}-push-a`, 'here.conf', `here ${i}`, 0);
    await pruneHistory(reg, { maxAgeDays: 30, maxCount: 2 }, Date.now(), new Set());
    assert.deepEqual(await readdir(join(reg, '.supha-history')), ['2020-01-02-push-a', '2026-01-04-push-a', '2026-01-05-push-a']);
  } finally {
    await t.cleanup();
  }
});

// A stamp's name is the pusher's clock: a peer whose clock runs ahead names its pushes after a
// later one's. Which copy is the newest is this host's clock (when rsync kept it). Real rsync
// pushes into a real daemon, with the stamps two skewed pushers would give.
test('the newest copy is the one kept last here, whatever the stamps say', async () => {
  const t = await tempDir('supha-hist-skew-');
  const rsd = await startRsyncd({ path: join(t.dir, 'replicas') });
  try {
    const src = join(t.dir, 'src');
    await mkdir(src, { recursive: true });
    const peer = { target: rsd.url, passwordFile: rsd.passwordFile };
    const push = async (mode: 'full' | 'additive', stamp: string) => {
      const r = await pushRegistry(src, 'apps', peer, { timeoutMs: 10_000, mode, stamp });
      assert.equal(r.ok, true, r.error);
    };
    await writeFile(join(src, 'x.conf'), 'x v1\n');
    await push('additive', '2026-01-01T00-00-00-000Z-push-a');
    await writeFile(join(src, 'x.conf'), 'x v2 longer\n');
    // A pusher whose clock is four years ahead overwrites v1 ...
    await push('full', '2030-01-01T00-00-00-000Z-push-fast');
    await rm(join(src, 'x.conf'));
    // ... then one with the right clock deletes v2: x.conf is now only in the history.
    await push('full', '2026-01-02T00-00-00-000Z-push-slow');
    const reg = join(t.dir, 'replicas', 'apps');
    await pruneHistory(reg, { maxAgeDays: 30, maxCount: 0 }, Date.now(), new Set());
    assert.deepEqual(
      (await listHistory(reg)).map((k) => k.id),
      ['2026-01-02T00-00-00-000Z-push-slow/x.conf'],
      'the copy kept last (v2) stays',
    );
    await restoreHistory(reg, 'n1', ['x.conf']);
    assert.equal(await readFile(join(reg, 'x.conf'), 'utf8'), 'x v2 longer\n');
  } finally {
    await rsd.stop();
    await t.cleanup();
  }
});
