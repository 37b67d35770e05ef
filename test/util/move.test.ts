import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/util/exec.js';
import { moveFileDurable } from '../../src/util/move.js';
import { tempDir } from '../helpers/tmp.js';

// The second filesystem is a small tmpfs the test mounts itself (root), so the copy path always
// runs: a rename across it fails with EXDEV.
test('moveFileDurable: same filesystem and across filesystems (a tmpfs of our own), mode kept; a full target keeps the source', async () => {
  const { dir, cleanup } = await tempDir();
  const other = join(dir, 'tmpfs');
  await mkdir(other);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'supha-move-test', other]);
  try {
    assert.notEqual((await stat(other)).dev, (await stat(dir)).dev, 'the tmpfs is a second filesystem');
    await writeFile(join(dir, 'a.conf'), '[program:a]\n', { mode: 0o640 });
    await moveFileDurable(join(dir, 'a.conf'), join(dir, 'b.conf'));
    assert.deepEqual((await readdir(dir)).sort(), ['b.conf', 'tmpfs']);

    await moveFileDurable(join(dir, 'b.conf'), join(other, 'b.conf'));
    assert.deepEqual(await readdir(dir), ['tmpfs']);
    assert.deepEqual(await readdir(other), ['b.conf']);
    assert.equal(await readFile(join(other, 'b.conf'), 'utf8'), '[program:a]\n');
    assert.equal((await stat(join(other, 'b.conf'))).mode & 0o777, 0o640);
    await assert.rejects(moveFileDurable(join(dir, 'missing'), join(other, 'x')), /ENOENT/);
    assert.deepEqual(await readdir(other), ['b.conf']);

    // 200 kB into a 64 kB filesystem: the copy fails, the source stays, no temp file is left.
    const big = 'x'.repeat(200_000);
    await writeFile(join(dir, 'big.conf'), big);
    await assert.rejects(moveFileDurable(join(dir, 'big.conf'), join(other, 'big.conf')), /ENOSPC/);
    assert.equal(await readFile(join(dir, 'big.conf'), 'utf8'), big);
    assert.deepEqual(await readdir(other), ['b.conf']);
  } finally {
    await run('umount', [other]);
    await cleanup();
  }
});
