import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { entriesOf, isRegistryFile, parseIni, scanRegistry } from '../../src/registry/index.js';
import { tempDir } from '../helpers/tmp.js';

test('parseIni reads sections, comments and continuation lines', () => {
  const s = parseIni('; top\n[program:a]\ncommand = /bin/x ; trailing\nenvironment=A=1,\n  B=2\n# c\n[group:g]\nprograms=a,b\n');
  assert.equal(s.length, 2);
  assert.equal(s[0]?.values.command, '/bin/x');
  assert.equal(s[0]?.values.environment, 'A=1,\nB=2');
  assert.equal(s[1]?.name, 'group:g');
});

test('entriesOf finds every kind of group a file defines, with autostart and priority', () => {
  const e = entriesOf(
    '[program:web]\ncommand=x\nautostart=false\npriority=10\n[eventlistener:ev]\ncommand=y\n[group:g]\nprograms=a, b\n[unix_http_server]\nfile=x\n',
    '/r/f.conf',
  );
  assert.deepEqual(
    e.map((x) => [x.name, x.kind, x.autostart, x.priority, x.programs]),
    [
      ['web', 'program', false, 10, []],
      ['ev', 'eventlistener', true, -1, []],
      ['g', 'group', true, 999, ['a', 'b']],
    ],
  );
});

test('scanRegistry orders by priority and skips editor temp files and missing folders', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const reg = join(dir, 'conf.d');
    await mkdir(reg);
    await writeFile(join(reg, 'b.conf'), '[program:b]\ncommand=x\npriority=5\n');
    await writeFile(join(reg, 'a.conf'), '[program:a]\ncommand=x\n');
    await writeFile(join(reg, '.a.conf.swp'), '[program:swap]\ncommand=x\n');
    await writeFile(join(reg, 'a.conf~'), '[program:tilde]\ncommand=x\n');
    const got = (await scanRegistry([reg, join(dir, 'missing')])).entries;
    assert.deepEqual(
      got.map((x) => x.name),
      ['b', 'a'],
    );
    // What the shipped [include] glob `*.conf` matches (Python's glob: no leading dot).
    assert.equal(isRegistryFile('x.ini'), false);
    assert.equal(isRegistryFile('#x.conf#'), false);
    assert.equal(isRegistryFile('.x.conf'), false);
    assert.equal(isRegistryFile('x.CONF'), false);
    assert.equal(isRegistryFile('~x.conf'), true);
  } finally {
    await cleanup();
  }
});
