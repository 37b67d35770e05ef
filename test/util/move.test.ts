import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { moveFileDurable } from '../../src/util/move.js';
import { tempDir } from '../helpers/tmp.js';

test('moveFileDurable: same filesystem and across filesystems (/dev/shm is tmpfs), mode kept', async (t) => {
  const { dir, cleanup } = await tempDir();
  const shm = await mkdtemp('/dev/shm/supha-move-').catch(() => undefined);
  try {
    await writeFile(join(dir, 'a.conf'), '[program:a]\n', { mode: 0o640 });
    await moveFileDurable(join(dir, 'a.conf'), join(dir, 'b.conf'));
    assert.deepEqual(await readdir(dir), ['b.conf']);
    if (!shm || (await stat(shm)).dev === (await stat(dir)).dev) {
      t.diagnostic('no second filesystem here: the copy path is not exercised');
      return;
    }
    await moveFileDurable(join(dir, 'b.conf'), join(shm, 'b.conf'));
    assert.deepEqual(await readdir(dir), []);
    assert.deepEqual(await readdir(shm), ['b.conf']);
    assert.equal(await readFile(join(shm, 'b.conf'), 'utf8'), '[program:a]\n');
    assert.equal((await stat(join(shm, 'b.conf'))).mode & 0o777, 0o640);
    await assert.rejects(moveFileDurable(join(dir, 'missing'), join(shm, 'x')), /ENOENT/);
    assert.deepEqual(await readdir(shm), ['b.conf']);
  } finally {
    await cleanup();
    if (shm) await rm(shm, { recursive: true, force: true });
  }
});
