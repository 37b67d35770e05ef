import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { askAgent } from '../../src/agent/index.js';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { type ProgramSpec, programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

// A program that ignores SIGTERM: its stop takes stopwaitsecs.
const STUBBORN = `/bin/sh -c "trap '' TERM; while :; do sleep 1; done"`;

// The sets of this file, each in its own registry (supervisord's [include] covers them all).
const SETS: Record<string, Record<string, ProgramSpec>> = {
  good: { g1: { command: '/bin/sleep 100000' } },
  bad: { p1: { command: '/bin/sleep 100000' } },
  slow: { s1: { command: '/bin/sleep 100000', startsecs: 60, priority: 10 }, s2: { command: '/bin/sleep 100000', priority: 20 } },
  fast: { f1: { command: '/bin/sleep 100000' } },
  eager: { e1: { command: '/bin/sleep 100000', autostart: true } },
  quiet: { q1: { command: '/bin/sleep 100000' } },
  fat: { x1: { command: '/bin/false', startsecs: 1 } },
  demote: { d1: { command: STUBBORN, stopwaitsecs: 6 } },
};

// One node, real supervisord, a real keepalived alone in its namespace (loneKeepalived: only
// "alive" matters here), a real agent; events through `supha notify`.
describe('the reconcile loop, set by set', { timeout: 240_000 }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let sv: Supervisord;
  let agent: AgentProc | undefined;
  let ka: { pid: number; kill(): Promise<void>; stop(): Promise<void> };
  let cfgPath: string;
  let sock: string;
  const reg = (set: string) => join(tmp.dir, 'sets', set);
  const states = async () => Object.fromEntries((await sv.client().getAllProcessInfo()).map((p) => [p.name, p.statename]));
  const notify = async (set: string, state: string) => {
    const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', `VI_${set}`, state]);
    assert.equal(r.code, 0, r.stderr);
  };
  const state = (name: string, want: string, timeoutMs = 15_000) => waitFor(`${name} ${want}`, async () => (await states())[name] === want, timeoutMs, 50);
  const track = async (set: string) => (await readFile(join(tmp.dir, 'state', 'track', set), 'utf8').catch(() => '')).trim();

  before(async () => {
    tmp = await tempDir('supha-loop-');
    for (const [set, programs] of Object.entries(SETS)) {
      await mkdir(reg(set), { recursive: true });
      for (const [name, spec] of Object.entries(programs)) await writeFile(join(reg(set), `${name}.conf`), programConf(name, spec));
    }
    // A bad entry: a folder where a conf file would be.
    await mkdir(join(reg('bad'), 'x.conf'));
    sv = await startSupervisord({ dir: tmp.dir, include: Object.keys(SETS).map((s) => join(reg(s), '*.conf')) });
    ka = await loneKeepalived(tmp.dir, join(tmp.dir, 'run/ka.fifo'));
    await writeFile(join(tmp.dir, 'ka.pid'), `${ka.pid}\n`);
    sock = join(tmp.dir, 'state', 'agent.sock');
    cfgPath = await writeJson(join(tmp.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'], 'wait-timeout-ms': 90_000 },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'run/ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': Object.fromEntries(Object.keys(SETS).map((s) => [s, { 'vrrp-instance': `VI_${s}`, registry: reg(s) }])),
        agent: { listen: `127.0.0.1:${await freePort()}`, 'reconcile-interval-ms': 300 },
      },
    });
    agent = await startAgent(cfgPath, sock);
  });
  after(async () => {
    await agent?.stop();
    await ka?.stop();
    await sv?.stop();
    await tmp?.cleanup();
  });

  test('defect 2: a set with a bad registry entry converges (the entry skipped, shown), and so does a healthy set beside it', async () => {
    try {
      await notify('good', 'MASTER');
      await notify('bad', 'MASTER');
      await state('g1', 'RUNNING');
      await state('p1', 'RUNNING');
      const st = await agent!.status();
      assert.deepEqual(st.sets.bad.problems, [{ path: join(reg('bad'), 'x.conf'), message: 'is a directory, not a conf file' }]);
      const logged = agent!
        .logs()
        .split('\n')
        .filter((l) => l.includes('registry entry skipped') && l.includes('x.conf'));
      assert.equal(logged.length, 1, 'logged once, not every pass');
      const shown = await supha(['--config', cfgPath, 'status']);
      assert.match(shown.stdout, /registry entry skipped: .*x\.conf: is a directory/);
      assert.equal((await supha(['--config', cfgPath, 'check', 'good'])).code, 0);
      assert.equal((await supha(['--config', cfgPath, 'check', 'bad'])).code, 0);
    } finally {
      // Gone, so that the tests below see their own defect (the old code froze every set on it).
      await rm(join(reg('bad'), 'x.conf'), { recursive: true });
    }
  });

  test("defect 3: a demotion never waits behind another set's start, nor behind its own", async () => {
    await notify('fast', 'MASTER');
    await state('f1', 'RUNNING');
    await notify('slow', 'MASTER');
    // s1 stays STARTING for 60 s; the start of s2 (the next priority batch) waits for it.
    await state('s1', 'STARTING');
    await notify('fast', 'BACKUP');
    await state('f1', 'STOPPED', 10_000);
    await notify('slow', 'BACKUP');
    await state('s1', 'STOPPED', 10_000);
    assert.equal((await states()).s2, 'STOPPED', 's2 was never started');
  });

  test('issue 10 item 5: on a non-MASTER every program of the set is stopped, autostart=true confs included', async () => {
    assert.equal((await states()).e1, 'RUNNING', "supervisord's own [include] started it");
    await notify('eager', 'BACKUP');
    await state('e1', 'STOPPED');
    const st = await agent!.status();
    assert.ok(
      st.sets.eager.lastApply.rejected.some((r: { group: string }) => r.group === 'e1'),
      'refused, and said why',
    );
  });

  test('defect 5: a quiesce holds back starts, never a demotion', async () => {
    await notify('quiet', 'MASTER');
    await state('q1', 'RUNNING');
    const r = await askAgent(sock, { op: 'quiesce', groups: ['q1'], ms: 60_000 }, 3_000);
    assert.equal(r.ok, true);
    await notify('quiet', 'BACKUP');
    await state('q1', 'STOPPED');
    await askAgent(sock, { op: 'quiesce', groups: ['q1'], ms: 0 }, 3_000);
  });

  test('defect 6: FATAL programs count only on the MASTER; the demotion clears the track file', async () => {
    await notify('fat', 'MASTER');
    await state('x1', 'FATAL');
    await waitFor('track/fat = 1', async () => (await track('fat')) === '1');
    assert.equal((await supha(['--config', cfgPath, 'check', 'fat'])).code, 1);
    await notify('fat', 'BACKUP');
    await waitFor('track/fat = 0', async () => (await track('fat')) === '0');
    assert.equal((await supha(['--config', cfgPath, 'check', 'fat'])).code, 0);
  });

  test('defect 4: a conf added while the set is being demoted is never started (the apply asks the loop)', async () => {
    await notify('demote', 'MASTER');
    await state('d1', 'RUNNING');
    await notify('demote', 'BACKUP');
    await state('d1', 'STOPPING');
    // The replication apply sees the new conf while d1 takes its 6 s to stop.
    await writeFile(join(reg('demote'), 'd2.conf'), programConf('d2', { command: '/bin/sleep 100000' }));
    await waitFor('d2 loaded', async () => 'd2' in (await states()), 15_000);
    await state('d1', 'STOPPED', 20_000);
    await waitFor('the agent to record BACKUP', async () => (await agent!.status()).sets.demote.role === 'BACKUP');
    const d2 = await sv.client().getProcessInfo('d2');
    assert.equal(d2.start, 0, `d2 was never started (${d2.statename})`);
  });

  test('defect 1: after an agent restart, no event and no vip (UNKNOWN) is not healthy while the set does not run', async () => {
    assert.equal(await agent!.stop(), 0);
    agent = await startAgent(cfgPath, sock);
    // g1 still runs (the agent restart left it); fast's f1 does not.
    const good = await supha(['--config', cfgPath, 'check', 'good']);
    assert.equal(good.code, 0, good.stdout);
    const fast = await supha(['--config', cfgPath, 'check', 'fast']);
    assert.equal(fast.code, 1, fast.stdout);
    assert.match(fast.stdout, /no keepalived event yet/);
    await waitFor('track/fast = 1', async () => (await track('fast')) === '1');
    await notify('fast', 'BACKUP');
    await waitFor('track/fast = 0', async () => (await track('fast')) === '0');
  });

  test('defect 9: every control request is validated; a lowercase state is read as supha notify reads it', async () => {
    const bad = await askAgent(sock, { op: 'notify', event: { type: 'INSTANCE', name: 'VI_good', state: 'SLEEPY' } } as never, 3_000);
    assert.equal(bad.ok, false);
    const q = await askAgent(sock, { op: 'quiesce', groups: 'g1', ms: 10 } as never, 3_000);
    assert.equal(q.ok, false);
    const low = await askAgent(sock, { op: 'notify', event: { type: 'INSTANCE', name: 'VI_good', state: 'master' } } as never, 3_000);
    assert.equal(low.ok, true);
    assert.equal((await agent!.status()).sets.good.desired, 'MASTER');
    await waitFor('the agent to act on it', async () => (await agent!.status()).sets.good.role === 'MASTER');
  });

  test('defect 9: status shows the newest process events, not the first 20 processes ever seen', async () => {
    const ev = (name: string, state: string) => ({ name, group: name, state, from: 'STOPPED', at: new Date().toISOString() });
    const many = Array.from({ length: 25 }, (_, i) => ev(`zz${i}`, 'STARTING'));
    await askAgent(sock, { op: 'process', events: many }, 3_000);
    await askAgent(sock, { op: 'process', events: [ev('zz0', 'RUNNING')] }, 3_000);
    const shown = (await agent!.status()).processEvents as { name: string; state: string }[];
    assert.equal(shown.length, 20);
    assert.deepEqual(shown.at(-1), { ...shown.at(-1), name: 'zz0', state: 'RUNNING' });
  });

  test('defect 9: release answers at once although the pass it starts is slow', async () => {
    assert.equal((await supha(['--config', cfgPath, 'hold', '--set', 'slow', '--reason', 'test'])).code, 0);
    await notify('slow', 'MASTER');
    const r = await supha(['--config', cfgPath, 'release', '--set', 'slow']);
    assert.equal(r.code, 0, r.stderr);
    await state('s1', 'STARTING');
    const again = await supha(['--config', cfgPath, 'hold', '--set', 'fast', '--reason', 'x']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await supha(['--config', cfgPath, 'release'])).code, 0);
    await notify('slow', 'BACKUP');
    await state('s1', 'STOPPED');
  });

  test('defect 9: a hold that cannot be written is not held', async () => {
    const file = join(tmp.dir, 'state', 'hold.json');
    await rm(file, { force: true });
    await mkdir(join(file, 'in-the-way'), { recursive: true });
    try {
      const r = await supha(['--config', cfgPath, 'hold', '--set', 'good', '--reason', 'nope']);
      assert.notEqual(r.code, 0);
      assert.deepEqual((await agent!.status()).holds, {});
    } finally {
      await rm(file, { recursive: true, force: true });
    }
  });

  test('defect 8: a second agent checks for the running one before it touches the FIFO', async () => {
    const fifo = join(tmp.dir, 'run', 'ka.fifo');
    const second = await supha(['--config', cfgPath, 'agent']);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /another agent already answers/);
    assert.equal(await agent!.stop(), 0);
    agent = undefined;
    await chmod(fifo, 0o622);
    let r = await supha(['--config', cfgPath, 'agent']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /notify-fifo .*writable by group or others/);
    await rm(fifo);
    await writeFile(join(tmp.dir, 'elsewhere'), '');
    await symlink(join(tmp.dir, 'elsewhere'), fifo);
    r = await supha(['--config', cfgPath, 'agent']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /notify-fifo .*symbolic link/);
    await rm(fifo);
  });
});
