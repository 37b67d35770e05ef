import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { acquireLock } from '../../src/util/pidlock.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { auditLines, supzcli } from '../helpers/supzcli.js';
import { tempDir, writeJson } from '../helpers/tmp.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
const PROG = (name: string, extra = '') => `[program:${name}]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\nstopwaitsecs=2\n${extra}`;

// The parked store is keyed by registry and file, keeps every version, and two supzcli at once
// act one after the other. One real supervisord with two registries.
describe('the parked store and concurrent supzcli', () => {
  let sv: Supervisord;
  let cleanup: () => Promise<void>;
  let web: string;
  let api: string;
  let state: string;
  let env: Record<string, string>;
  const parkedAt = (registry: string, file: string) => join(state, 'parked', encodeURIComponent(registry), file);
  const loaded = async () => (await sv.client().getAllProcessInfo()).map((i) => `${i.group}:${i.statename}`);
  const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);

  before(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir('supha-park-'));
    web = join(dir, 'web');
    api = join(dir, 'api');
    state = join(dir, 'state');
    await mkdir(web);
    await mkdir(api);
    sv = await startSupervisord({ dir: join(dir, 'sv'), include: [join(web, '*.conf'), join(api, '*.conf')] });
    const cfg = await writeJson(join(dir, 'config.json'), {
      'project-name': 't',
      'state-dir': state,
      supervisor: { 'server-url': sv.url, 'registry-dirs': [web, api], 'wait-timeout-ms': 30_000 },
    });
    env = { SUPHA_CONFIG: cfg, HOME: dir };
  });
  after(async () => {
    await sv?.stop();
    await cleanup?.();
  });

  test('web/app.conf and api/app.conf parked one after the other: both kept, both come back (fails without the fix)', async () => {
    await writeFile(join(web, 'app.conf'), PROG('wapp'));
    await writeFile(join(api, 'app.conf'), PROG('aapp'));
    ok(await supzcli(['update'], env), 'update');
    ok(await supzcli(['stop', 'wapp'], env), 'stop wapp');
    ok(await supzcli(['stop', 'aapp'], env), 'stop aapp');
    ok(await supzcli(['start', 'wapp'], env), 'start wapp');
    ok(await supzcli(['start', 'aapp'], env), 'start aapp');
    assert.equal(await readFile(join(web, 'app.conf'), 'utf8'), PROG('wapp'));
    assert.equal(await readFile(join(api, 'app.conf'), 'utf8'), PROG('aapp'));
    assert.ok((await loaded()).includes('wapp:RUNNING') && (await loaded()).includes('aapp:RUNNING'));
    // Where they were kept: one folder per registry, each with its note.
    ok(await supzcli(['stop', 'wapp', 'aapp'], env), 'stop both');
    assert.equal(await readFile(parkedAt(web, 'app.conf'), 'utf8'), PROG('wapp'));
    assert.equal(await readFile(parkedAt(api, 'app.conf'), 'utf8'), PROG('aapp'));
    assert.equal(JSON.parse(await readFile(`${parkedAt(web, 'app.conf')}.json`, 'utf8')).from, join(web, 'app.conf'));
  });

  test('a parked file of two groups stays parked when one of them is registered anew (fails without the fix)', async () => {
    await writeFile(join(web, 'pair.conf'), `${PROG('p1')}\n${PROG('p2')}`);
    ok(await supzcli(['update'], env), 'update');
    ok(await supzcli(['stop', 'p1', 'p2'], env), 'stop p1 p2');
    // p1 comes back in a file of its own (as sup_run.sh writes it); p2 still needs pair.conf.
    await writeFile(join(web, 'p1.conf'), PROG('p1'));
    const r = await supzcli(['start', 'p1'], env);
    ok(r, 'start p1');
    assert.match(r.stdout, /pair\.conf stays parked \(it also holds p2\)/);
    assert.equal(await readFile(parkedAt(web, 'pair.conf'), 'utf8'), `${PROG('p1')}\n${PROG('p2')}`);
    assert.ok(await exists(`${parkedAt(web, 'pair.conf')}.json`));
    // p2 is still known as parked: its start is refused with the reason, not "unknown".
    const r2 = await supzcli(['start', 'p2'], env);
    assert.equal(r2.code, 2, r2.stderr);
    assert.match(r2.stderr, /pair\.conf defines p2 and also p1/);
    ok(await supzcli(['stop', 'p1'], env), 'stop p1');
  });

  test('every version is kept: a conf parked over an older parked copy keeps the older one in versions/', async () => {
    await writeFile(join(web, 'v.conf'), PROG('v', 'priority=1\n'));
    ok(await supzcli(['update', 'v'], env), 'update');
    ok(await supzcli(['stop', 'v'], env), 'stop v (1)');
    // Written anew while a copy is parked (sup_run.sh start does this): the registry one is used.
    await writeFile(join(web, 'v.conf'), PROG('v', 'priority=2\n'));
    const r = await supzcli(['start', 'v'], env);
    ok(r, 'start v');
    assert.match(r.stdout, /the parked copy is kept as .*versions/);
    ok(await supzcli(['stop', 'v'], env), 'stop v (2)');
    const versions = join(dirname(parkedAt(web, 'v.conf')), 'versions');
    const kept = (await readdir(versions)).filter((f) => f.endsWith('-v.conf'));
    assert.equal(kept.length, 1);
    assert.equal(await readFile(join(versions, kept[0] ?? ''), 'utf8'), PROG('v', 'priority=1\n'));
    assert.equal(await readFile(parkedAt(web, 'v.conf'), 'utf8'), PROG('v', 'priority=2\n'));
  });

  test('an old-layout parked store is moved per registry on first use, nothing lost', async () => {
    const root = join(state, 'parked');
    await writeFile(join(root, 'old.conf'), PROG('old'));
    await writeFile(join(root, 'old.conf.json'), JSON.stringify({ from: join(api, 'old.conf'), time: 't', user: 'u', groups: ['old'] }));
    await writeFile(join(root, 'old.conf.superseded-20261101T000000000Z'), PROG('old', 'priority=5\n'));
    const r = await supzcli(['start', 'old'], env);
    ok(r, 'start old');
    assert.equal(await readFile(join(api, 'old.conf'), 'utf8'), PROG('old'));
    const versions = await readdir(join(dirname(parkedAt(api, 'old.conf')), 'versions'));
    assert.equal(versions.length, 1);
    assert.match(versions[0] ?? '', /^20261101T000000000Z-.*-old\.conf$/);
    assert.deepEqual(
      (await readdir(root)).filter((f) => !f.startsWith('%')),
      [],
    );
    ok(await supzcli(['stop', 'old'], env), 'stop old');
  });

  test('a registry locked by another supzcli: refused after the wait, nothing done (fails without the lock)', async () => {
    await writeFile(join(web, 'l.conf'), PROG('l'));
    ok(await supzcli(['start', 'l'], env), 'start l');
    const lock = await acquireLock(join(state, 'locks', `${encodeURIComponent(web)}.lock`));
    try {
      const r = await supzcli(['stop', 'l'], { ...env, SUPZCLI_LOCK_WAIT: '0' });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`^supzcli: another supzcli \\(pid ${process.pid}\\) is changing ${web} .*nothing done`));
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.ok((await loaded()).includes('l:RUNNING'));
      assert.ok(await exists(join(web, 'l.conf')));
      assert.deepEqual(
        (await auditLines(state)).slice(-2).map((l) => l.outcome),
        ['begin', 'error'],
      );
    } finally {
      await lock.release();
    }
    ok(await supzcli(['stop', 'l'], env), 'stop l once the lock is free');
  });

  test('two supzcli at once act one after the other; audit: begin, then outcome, the real user (not $USER: fails without the fix)', async () => {
    await writeFile(join(web, 'c.conf'), PROG('c'));
    ok(await supzcli(['start', 'c'], env), 'start c');
    const n0 = (await auditLines(state)).length;
    // $USER lies: the audit records the uid's name.
    const rs = await Promise.all([0, 1, 2].map(() => supzcli(['stop', 'c'], { ...env, USER: 'mallory', SUDO_USER: 'eve', SUDO_UID: '1234' })));
    for (const r of rs) ok(r, 'concurrent stop c');
    assert.equal(rs.filter((r) => /c: conf parked/.test(r.stdout)).length, 1, rs.map((r) => r.stdout).join('---'));
    assert.equal(rs.filter((r) => /already stopped and parked/.test(r.stdout)).length, 2);
    assert.equal(await readFile(parkedAt(web, 'c.conf'), 'utf8'), PROG('c'));
    const lines = (await auditLines(state)).slice(n0);
    assert.equal(lines.length, 6);
    const byRun = new Map<unknown, string[]>();
    for (const l of lines) byRun.set(l.run, [...(byRun.get(l.run) ?? []), String(l.outcome)]);
    assert.deepEqual(
      [...byRun.values()],
      [0, 1, 2].map(() => ['begin', 'ok']),
    );
    const me = (await import('node:os')).userInfo().username;
    assert.ok(lines.every((l) => l.user === me && l.uid === process.getuid?.()));
    // SUDO_USER is believed only as root (anyone else can set it).
    if (process.getuid?.() === 0) assert.ok(lines.every((l) => l.sudoUser === 'eve' && l.sudoUid === 1234));
  });
});
