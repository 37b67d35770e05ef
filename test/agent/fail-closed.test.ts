import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { get } from '../helpers/load.js';
import { type ProgramSpec, programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

const SLEEP: ProgramSpec = { command: '/bin/sleep 100000' };
const SETS: Record<string, Record<string, ProgramSpec>> = {
  broken: { b1: SLEEP },
  gone: { r1: SLEEP },
  held: { h1: SLEEP },
};

// The adversarial review's findings on the agent loop, on one node: real supervisord, a real
// keepalived alone in its namespace (loneKeepalived: only "alive" matters), a real agent, events
// through `supha notify`.
describe('the loop fails closed', { timeout: 180_000 }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let sv: Supervisord;
  let agent: AgentProc | undefined;
  let ka: { pid: number; kill(): Promise<void>; stop(): Promise<void> };
  let cfgPath: string;
  let sock: string;
  let listen: string;
  const reg = (set: string) => join(tmp.dir, 'sets', set);
  const states = async () => Object.fromEntries((await sv.client().getAllProcessInfo()).map((p) => [p.name, p.statename]));
  const state = (name: string, want: string, timeoutMs = 15_000) =>
    waitFor(`${name} ${want}`, async () => (await states())[name] === want, timeoutMs, 50).catch((err: Error) => {
      throw new Error(`${err.message}; the agent's log:\n${agent?.logs().slice(-6000)}`);
    });
  const notify = async (set: string, st: string) => {
    const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', `VI_${set}`, st]);
    assert.equal(r.code, 0, r.stderr);
  };
  const track = async (set: string) => (await readFile(join(tmp.dir, 'state', 'track', set), 'utf8').catch(() => '')).trim();
  const check = (set: string) => supha(['--config', cfgPath, 'check', set]);
  const metrics = async () => (await get(`http://${listen}/metrics`)).body;

  before(async () => {
    tmp = await tempDir('supha-failclosed-');
    for (const [set, programs] of Object.entries(SETS)) {
      await mkdir(reg(set), { recursive: true });
      for (const [name, spec] of Object.entries(programs)) await writeFile(join(reg(set), `${name}.conf`), programConf(name, spec));
    }
    sv = await startSupervisord({ dir: tmp.dir, include: Object.keys(SETS).map((s) => join(reg(s), '*.conf')) });
    ka = await loneKeepalived(tmp.dir, join(tmp.dir, 'run/ka.fifo'));
    await writeFile(join(tmp.dir, 'ka.pid'), `${ka.pid}\n`);
    sock = join(tmp.dir, 'state', 'agent.sock');
    listen = `127.0.0.1:${await freePort()}`;
    cfgPath = await writeJson(join(tmp.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'run/ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': Object.fromEntries(Object.keys(SETS).map((s) => [s, { 'vrrp-instance': `VI_${s}`, registry: reg(s) }])),
        agent: { listen, 'reconcile-interval-ms': 300 },
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

  test('review 3+4: a conf turned unparsable is stopped on demotion; the failed pass leaves the role BACKUP, not converged', async () => {
    await notify('broken', 'MASTER');
    await state('b1', 'RUNNING');
    // supervisord's own reread fails on it too: every update of the set throws from now on.
    await writeFile(join(reg('broken'), 'b1.conf'), '[program:b1]\nthis line is not ini\n');
    try {
      await notify('broken', 'BACKUP');
      await state('b1', 'STOPPED');
      const st = await waitFor('the failed demotion recorded', async () => {
        const s = (await agent!.status()).sets.broken;
        return s.role === 'BACKUP' && s.lastError !== undefined && s;
      });
      assert.equal(st.role, 'BACKUP', 'what the peer and the sync module are told');
      assert.equal(st.converged, false);
      assert.match(await metrics(), /^supha_set_converged\{set="broken"\} 0$/m);
      assert.match(agent!.logs(), /transition broken: MASTER -> BACKUP .* failed/);
    } finally {
      await writeFile(join(reg('broken'), 'b1.conf'), programConf('b1', SLEEP));
    }
    await waitFor('converged once the conf is good', async () => (await agent!.status()).sets.broken.converged === true, 15_000);
    assert.equal((await check('broken')).code, 0);
  });

  test('review 3: a conf the scan skips after an agent restart (a folder named r1.conf) is stopped on demotion; the BACKUP is not healthy meanwhile', async () => {
    await notify('gone', 'MASTER');
    await state('r1', 'RUNNING');
    assert.equal(await agent!.stop(), 0);
    agent = undefined;
    await rm(join(reg('gone'), 'r1.conf'));
    await mkdir(join(reg('gone'), 'r1.conf'));
    try {
      agent = await startAgent(cfgPath, sock);
      await notify('gone', 'BACKUP');
      // Stopped by the demotion, or stopped and removed by the update that drops a conf removed
      // while the agent was down (whichever pass comes first): not running either way.
      await waitFor('r1 stopped or removed', async () => ['STOPPED', undefined].includes((await states()).r1), 15_000, 50);
      await waitFor('gone healthy as BACKUP', async () => (await check('gone')).code === 0 && (await track('gone')) === '0');
      assert.match((await check('gone')).stdout, /nothing of the set runs here/);
    } finally {
      await rm(join(reg('gone'), 'r1.conf'), { recursive: true });
    }
  });

  test('review 6: held as MASTER while keepalived says BACKUP: unhealthy, loud in check, status, metrics and the track file', async () => {
    await notify('held', 'MASTER');
    await state('h1', 'RUNNING');
    assert.equal((await supha(['--config', cfgPath, 'hold', '--set', 'held', '--reason', 'maintenance'])).code, 0);
    try {
      await notify('held', 'BACKUP');
      await waitFor('track/held = 1', async () => (await track('held')) === '1');
      assert.equal((await states()).h1, 'RUNNING', 'held: not acted on');
      const c = await check('held');
      assert.equal(c.code, 1, c.stdout);
      assert.match(c.stdout, /HELD as MASTER while keepalived says BACKUP: both hosts may run the set/);
      const st = (await agent!.status()).sets.held;
      assert.equal(st.bothMayRun, true);
      assert.match(await metrics(), /^supha_set_held_both_may_run\{set="held"\} 1$/m);
      const shown = await supha(['--config', cfgPath, 'status']);
      assert.match(shown.stdout, /both hosts may run/);
      assert.equal(
        agent!
          .logs()
          .split('\n')
          .filter((l) => l.includes('both hosts may run it (supha release')).length,
        1,
        'logged once',
      );
    } finally {
      assert.equal((await supha(['--config', cfgPath, 'release', '--set', 'held'])).code, 0);
    }
    await state('h1', 'STOPPED');
    await waitFor('track/held = 0', async () => (await track('held')) === '0');
    assert.match(await metrics(), /^supha_set_held_both_may_run\{set="held"\} 0$/m);
  });

  test('review 8: /metrics and / make no registry scan and no supervisord read per request', async () => {
    const before = (await agent!.status()).reconcile;
    assert.equal(typeof before.registryScans, 'number');
    for (let i = 0; i < 15; i++) {
      await metrics();
      assert.equal((await get(`http://${listen}/`)).code, 200);
    }
    const after = (await agent!.status()).reconcile;
    assert.equal(after.registryScans, before.registryScans, 'no scan for 30 requests');
    assert.ok(after.processReads - before.processReads <= 2 * (after.passes - before.passes) + 2, 'supervisord read by passes only');
  });

  test('issue 12: split brain is one series in /metrics, through prom-client', async () => {
    const text = await metrics();
    const types = text.split('\n').filter((l) => /^# TYPE \S*split_brain/.test(l));
    assert.deepEqual(types, ['# TYPE supha_replication_split_brain gauge']);
    assert.doesNotMatch(text, /supha_sync_peer_/);
  });
});
