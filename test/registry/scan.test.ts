import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { scanRegistry } from '../../src/registry/index.js';
import { tempDir } from '../helpers/tmp.js';

test('scanRegistry skips a folder named x.conf and names it in problems; the other files are read', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'x.conf'));
    await writeFile(join(dir, 'a.conf'), '[program:a]\ncommand=x\n');
    const got = await scanRegistry([dir]);
    assert.deepEqual(
      got.entries.map((e) => e.name),
      ['a'],
    );
    assert.deepEqual(got.problems, [{ path: join(dir, 'x.conf'), message: 'is a directory, not a conf file' }]);
  } finally {
    await cleanup();
  }
});

test('scanRegistry: a registry path that is a file is a problem, a missing one is empty', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'plain'), 'x');
    const got = await scanRegistry([join(dir, 'plain'), join(dir, 'missing')]);
    assert.equal(got.entries.length, 0);
    assert.equal(got.problems.length, 1);
    assert.equal(got.problems[0]?.path, join(dir, 'plain'));
  } finally {
    await cleanup();
  }
});

test('scanRegistry re-reads a file whose size or mtime changed, and only then', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const f = join(dir, 'a.conf');
    await writeFile(f, '[program:a]\ncommand=x\npriority=5\n');
    const first = await scanRegistry([dir]);
    const again = await scanRegistry([dir]);
    assert.equal(again.entries[0], first.entries[0], 'unchanged file: the cached entry');
    await writeFile(f, '[program:a]\ncommand=x\npriority=7\n');
    await utimes(f, new Date(), new Date(Date.now() + 5_000));
    assert.equal((await scanRegistry([dir])).entries[0]?.priority, 7);
  } finally {
    await cleanup();
  }
});

test('scanRegistry names a .ini, or another non-.conf file holding a program, as ignored (never silently skipped)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'a.conf'), '[program:a]\ncommand=x\n');
    await writeFile(join(dir, 'foo.ini'), '[program:foo]\ncommand=x\n');
    await writeFile(join(dir, 'bar.conf.off'), '[program:bar]\ncommand=x\n');
    await writeFile(join(dir, 'README'), 'notes, no program here\n');
    await writeFile(join(dir, '.hidden.ini'), '[program:h]\ncommand=x\n');
    const got = await scanRegistry([dir]);
    assert.deepEqual(
      got.entries.map((e) => e.name),
      ['a'],
    );
    assert.deepEqual(
      got.problems.map((p) => [p.path, p.ignored]),
      [
        [join(dir, 'bar.conf.off'), true],
        [join(dir, 'foo.ini'), true],
      ],
    );
    assert.match(got.problems[1]?.message ?? '', /^ignored: not named \*\.conf.*rename it foo\.conf/);
  } finally {
    await cleanup();
  }
});
