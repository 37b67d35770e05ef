import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lockHolder, takeLock } from '../../src/bluegreen/index.js';
import { eachNode } from '../../src/bluegreen/nodes.js';
import type { Config } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';
import { healthPath, readHealth, updateHealth } from '../../src/health/index.js';
import type { NodeRef } from '../../src/health/round.js';
import { acquireLock, LockHeld } from '../../src/util/pidlock.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir, waitFor } from '../helpers/tmp.js';

const PIDLOCK = join(ROOT, 'dist/src/util/pidlock.js');
const STATUS = join(ROOT, 'dist/src/health/status.js');
const BOOT = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();

// A pid that was alive a moment ago and is not now.
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid ?? 0;
}

// Runs `node -e code` with args; resolves with its stdout and exit code.
function node(code: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  return new Promise((resolve) => child.once('close', (c) => resolve({ code: c, out, err })));
}

// Waits for DIR/go, tries the lock once; the winner holds it until DIR/done exists.
const RACER = `
import { existsSync, writeFileSync } from 'node:fs';
const [mod, dir, path] = process.argv.slice(1);
const { acquireLock } = await import(mod);
while (!existsSync(dir + '/go')) await new Promise((r) => setTimeout(r, 5));
try {
  const lock = await acquireLock(path);
  writeFileSync(dir + '/won.' + process.pid, '');
  console.log('won');
  while (!existsSync(dir + '/done')) await new Promise((r) => setTimeout(r, 10));
  await lock.release();
} catch (err) {
  console.log(err.name === 'LockHeld' ? 'held' : 'error ' + err.message);
}
`;

describe('the blue/green lock (link-created, stale takeover)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let n = 0;
  const cfg = () => ({ 'state-dir': join(dir, `state${++n}`) }) as unknown as Config;
  before(async () => {
    ({ dir, cleanup } = await tempDir('supha-lock-'));
  });
  after(async () => cleanup?.());

  test('takeLock with waitMs waits for a brief holder, saying so once; a long one is refused after the wait', async () => {
    const c = cfg();
    const held = await takeLock(c, 'agent');
    const said: string[] = [];
    const waiting = takeLock(c, 'switch', { waitMs: 5_000, say: (l) => said.push(l) });
    await waitFor('the waiter to say it waits', () => said.length === 1);
    await held.release();
    const got = await waiting;
    assert.equal(got.stale, false);
    assert.match(said[0] ?? '', new RegExp(`^waiting up to 5000 ms for the blue/green lock \\(held by pid ${process.pid}`));
    const refused = await takeLock(c, 'switch', { waitMs: 200 }).catch((e: unknown) => e);
    assert.ok(refused instanceof UserError);
    assert.match(refused.message, /^switch refused: another switch, .*; waited 200 ms$/);
    await got.release();
  });

  test('concurrent takeLock calls in one process: exactly one wins', async () => {
    const c = cfg();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => takeLock(c, 'test')));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of results) if (r.status === 'rejected') assert.match(String(r.reason), /test refused: .*pid \d+/);
    assert.equal(await lockHolder(c), process.pid);
    const text = await readFile(join(c['state-dir'], 'bluegreen.lock'), 'utf8');
    assert.match(text, new RegExp(`^${process.pid} ${BOOT} [0-9a-f]+\\n$`));
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
    assert.equal(await lockHolder(c), undefined);
    assert.deepEqual(await readdir(c['state-dir']), [], 'no lock, temp or stale files left');
  });

  test('concurrent takeLock calls in one process against a stale lock: exactly one takes it over', async () => {
    const c = cfg();
    const path = join(c['state-dir'], 'bluegreen.lock');
    await acquireLock(join(c['state-dir'], 'x.lock')).then((l) => l.release());
    await writeFile(path, `${await deadPid()} ${BOOT} abc\n`);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => takeLock(c, 'test')));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.equal(won[0]?.stale, true);
    await won[0]?.release();
    assert.deepEqual(await readdir(c['state-dir']), []);
  });

  for (const stale of [false, true]) {
    test(`three processes race for a ${stale ? 'stale' : 'free'} lock: exactly one wins`, async () => {
      const d = join(dir, `race-${stale}`);
      const path = join(d, 'bluegreen.lock');
      await rm(d, { recursive: true, force: true });
      await acquireLock(join(d, 'x.lock')).then((l) => l.release());
      if (stale) await writeFile(path, `${await deadPid()} ${BOOT} abc\n`);
      let finished = 0;
      const racers = [0, 1, 2].map(() =>
        node(RACER, [PIDLOCK, d, path]).then((o) => {
          finished++;
          return o;
        }),
      );
      await writeFile(join(d, 'go'), '');
      // The losers answer while the winner still holds the lock.
      await waitFor('two racers to lose', () => finished === 2, 30_000);
      const wonPid = Number((await readdir(d)).find((f) => f.startsWith('won.'))?.slice(4));
      assert.equal(await lockHolder({ 'state-dir': d } as unknown as Config), wonPid);
      await writeFile(join(d, 'done'), '');
      const outs = await Promise.all(racers);
      const said = outs.map((o) => o.out.trim()).sort();
      assert.deepEqual(said, ['held', 'held', 'won'], JSON.stringify(outs));
      assert.equal((await readdir(d)).filter((f) => f.startsWith('won.')).length, 1);
      assert.deepEqual(
        (await readdir(d)).filter((f) => f.includes('bluegreen.lock')),
        [],
        'released; no temp or stale files left',
      );
    });
  }

  test('stale locks are taken over: dead pid, other boot id, empty and old; an empty young one is held', async () => {
    const c = cfg();
    const path = join(c['state-dir'], 'bluegreen.lock');
    await acquireLock(join(c['state-dir'], 'x.lock')).then((l) => l.release());
    await writeFile(path, `${await deadPid()} ${BOOT} abc\n`);
    let lock = await takeLock(c, 'test');
    assert.equal(lock.stale, true);
    await lock.release();
    // Our own (live) pid, but written before a reboot.
    await writeFile(path, `${process.pid} 00000000-0000-0000-0000-000000000000 abc\n`);
    lock = await takeLock(c, 'test');
    assert.equal(lock.stale, true);
    await lock.release();
    // Empty: a holder between create and write (old code) counts as holding it for 5 s.
    await writeFile(path, '');
    await assert.rejects(takeLock(c, 'test'), /test refused: .*pid \?/);
    await assert.rejects(acquireLock(path, { waitMs: 100 }), LockHeld);
    assert.equal((await stat(path)).size, 0, 'a young empty lock is left alone');
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    lock = await takeLock(c, 'test');
    assert.equal(lock.stale, true);
    await lock.release();
  });

  test('a state dir that cannot be made is one line naming the path', async () => {
    await writeFile(join(dir, 'a-file'), '');
    const c = { 'state-dir': join(dir, 'a-file', 'state') } as unknown as Config;
    await assert.rejects(takeLock(c, 'test'), (err: unknown) => err instanceof UserError && /lock .*a-file.*ENOTDIR/.test(err.message));
  });
});

describe('node-health-status.json updates across processes', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir('supha-health-'));
  });
  after(async () => cleanup?.());

  test('two processes bumping reboot-count 25 times each lose no update', async () => {
    const code = `
const [mod, dir] = process.argv.slice(1);
const { updateHealth, freshHealth } = await import(mod);
const cfg = { 'runtime-dir': dir };
for (let i = 0; i < 25; i++) {
  await updateHealth(cfg, async (f) => {
    const n = f.x ?? freshHealth('http://127.0.0.1:1/');
    await new Promise((r) => setTimeout(r, 2));
    f.x = { ...n, 'reboot-count': n['reboot-count'] + 1 };
  });
}
console.log('ok');
`;
    const outs = await Promise.all([node(code, [STATUS, dir]), node(code, [STATUS, dir])]);
    for (const o of outs) assert.equal(o.out.trim(), 'ok', o.err);
    const cfg = { 'runtime-dir': dir } as unknown as Config;
    const file = await readHealth(cfg);
    assert.equal(file.x?.['reboot-count'], 50);
    assert.deepEqual(Object.keys(file.x ?? {}), [
      'status',
      'health-check-url',
      'last-response-time',
      'reboot-count',
      'last-response-code',
      'fail-count',
      'last-check-time',
    ]);
    assert.deepEqual((await readdir(dir)).sort(), ['node-health-status.json']);
    await updateHealth(cfg, () => {});
  });

  test('an unreadable health file is one line naming it', async () => {
    const { dir: d, cleanup: c } = await tempDir('supha-health-');
    try {
      const cfg = { 'runtime-dir': d } as unknown as Config;
      await import('node:fs/promises').then((fs) => fs.mkdir(healthPath(cfg)));
      await assert.rejects(readHealth(cfg), (err: unknown) => err instanceof UserError && err.message.startsWith(`${healthPath(cfg)}: cannot read`));
    } finally {
      await c();
    }
  });
});

test('eachNode: a failing node is a UserError naming it', async () => {
  const refs = [{ name: 'a' }, { name: 'b' }] as unknown as NodeRef[];
  await assert.rejects(
    eachNode(refs, async (r) => {
      if (r.name === 'b') throw new Error('connection refused');
    }),
    (err: unknown) => err instanceof UserError && err.message === 'node b: connection refused',
  );
});
