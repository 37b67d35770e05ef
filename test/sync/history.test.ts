import assert from 'node:assert/strict';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { listHistory, pruneHistory } from '../../src/sync/index.js';
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
