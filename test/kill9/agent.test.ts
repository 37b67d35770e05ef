import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { type HaNode, type HaPair, startHaPair, waitRunning } from '../helpers/hapair.js';
import { programConf } from '../helpers/supervisord.js';
import { waitFor } from '../helpers/tmp.js';
import { tornFiles } from './files.js';

// One set of three programs in three priority batches, so a transition has a middle to be killed
// in: b takes 3 s to count as started (the loop waits for it before starting c), and c ignores
// SIGTERM, so its stop takes stopwaitsecs (4 s) before a and b are stopped.
const PROGRAMS = {
  a: { command: '/bin/sleep 100000', priority: 10 },
  b: { command: '/bin/sleep 100000', priority: 20, startsecs: 3 },
  c: { command: `/bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done'`, priority: 30, stopwaitsecs: 4 },
};
const N = Object.keys(PROGRAMS).length;

// kill -9 of the agent in the middle of a takeover, a release and a demotion (between the batches
// of a set's starts or stops), on two hosts with real keepalived. A new agent converges: the set
// runs whole on the MASTER and nowhere else, every conf is where it was, no state file is torn.
describe('kill -9 of the agent between the steps of a transition', { timeout: 180_000 }, () => {
  let pair: HaPair;
  before(async () => {
    pair = await startHaPair({ programs: PROGRAMS, intervalMs: 300 });
    await waitRunning(pair.nodes[0]!, N, 'node1 to run the set');
  });
  after(async () => {
    await pair?.destroy();
  });
  const n1 = () => pair.nodes[0]!;
  const n2 = () => pair.nodes[1]!;
  const states = async (n: HaNode) => Object.fromEntries((await n.sv.client().getAllProcessInfo()).map((p) => [p.name, p.statename]));
  const at = async (n: HaNode, want: Record<string, string>) => {
    const s = await states(n);
    return Object.entries(want).every(([k, v]) => s[k] === v) && s;
  };
  const kill9 = async (n: HaNode) => {
    const child = n.agent!.child;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    n.agent = undefined;
  };
  const restart = async (n: HaNode) => {
    n.agent = await startAgent(n.cfgPath, n.socket, { prefix: pair.net.wrap(n.host) });
  };
  // Nothing lost, nothing torn: the registry holds each program's conf as written, the state dir
  // no half-written or stray temp file.
  const intact = async () => {
    for (const n of pair.nodes) {
      for (const [name, spec] of Object.entries(PROGRAMS))
        assert.equal(await readFile(join(n.sv.registryDir, `${name}.conf`), 'utf8'), programConf(name, spec));
      assert.deepEqual(await tornFiles(join(n.dir, 'state')), []);
    }
  };
  const check = async (n: HaNode) => supha(['--config', n.cfgPath, 'check', 'app']);

  test('killed during a takeover, after the first batches started: the new agent starts the rest', async () => {
    await n1().ka!.kill9();
    const mid = await waitFor('node2 between its start batches', () => at(n2(), { a: 'RUNNING', b: 'STARTING', c: 'STOPPED' }), 20_000, 10);
    await kill9(n2());
    assert.equal(mid.c, 'STOPPED');
    assert.equal((await states(n2())).c, 'STOPPED', 'c is not started by a killed agent');
    await restart(n2());
    await waitRunning(n2(), N, 'node2 to run the whole set');
    await waitRunning(n1(), 0, 'node1 (keepalived dead) to run none of it');
    await waitFor('node2 MASTER and healthy', async () => (await check(n2())).code === 0);
    assert.equal((await n2().agent!.status()).sets.app.role, 'MASTER');
    await intact();
  });

  test('killed during a release, after the first batches started: the release stands, the new agent starts the rest', async () => {
    const h = await supha(['--config', n1().cfgPath, 'hold', '--set', 'app', '--reason', 'kill9 test']);
    assert.equal(h.code, 0, h.stderr);
    await n1().startKeepalived();
    await waitFor('node1 held MASTER', async () => (await n1().agent!.status()).sets.app.desired === 'MASTER');
    await waitRunning(n2(), 0, 'node2 (BACKUP again) to stop the set');
    assert.equal((await n1().running()).length, 0, 'held: node1 started nothing');
    const r = await supha(['--config', n1().cfgPath, 'release', '--set', 'app']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('node1 between its start batches', () => at(n1(), { a: 'RUNNING', b: 'STARTING', c: 'STOPPED' }), 20_000, 10);
    await kill9(n1());
    assert.deepEqual(JSON.parse(await readFile(join(n1().dir, 'state', 'hold.json'), 'utf8')).holds, {}, 'the release was written before it acted');
    await restart(n1());
    await waitRunning(n1(), N, 'node1 to run the whole set');
    await waitRunning(n2(), 0, 'node2 to run none of it');
    await waitFor('node1 healthy', async () => (await check(n1())).code === 0);
    await intact();
  });

  test('killed during a demotion, after the first stop batch began: the new agent stops the rest', async () => {
    await n1().ka!.kill9();
    await waitFor('node1 between its stop batches', () => at(n1(), { a: 'RUNNING', b: 'RUNNING', c: 'STOPPING' }), 20_000, 10);
    await kill9(n1());
    await restart(n1());
    await waitRunning(n1(), 0, 'node1 (keepalived dead) to stop the whole set', 30_000);
    await waitRunning(n2(), N, 'node2 to take the set');
    // The orphans may be down (supervisord's own stopwaitsecs) before the new agent's first pass.
    await waitFor('node1 to act as STOP', async () => (await n1().agent!.status()).sets.app.role === 'STOP');
    // A stop still under way (c STOPPING) is not healthy yet: wait for it to finish.
    await waitFor('node1 healthy (not MASTER, nothing runs)', async () => (await check(n1())).code === 0);
    await intact();
  });
});
