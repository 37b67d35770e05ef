import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { type HaNode, waitRunning } from '../helpers/hapair.js';
import { waitFor } from '../helpers/tmp.js';
import { DoubleRunSampler, type QuorumPair, startQuorumPair } from './rig.js';

// `slow` ignores SIGTERM: supervisord waits out its stopwaitsecs (3 s) before SIGKILL, so it is
// STOPPING for 3 s whenever it is stopped. TTL 10 s fits that stop budget.
const PROGRAMS = {
  web: { command: '/bin/sleep 100000', stopwaitsecs: 1, priority: 10 },
  slow: { command: `/bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done'`, stopwaitsecs: 3, priority: 20 },
};
const N = Object.keys(PROGRAMS).length;
const NAMES = new Set(Object.keys(PROGRAMS));

// How the reconcile loop uses the quorum key (src/agent/pass.ts), on real etcd and keepalived:
// the key is given up only once nothing of the set is alive here, a MASTER refused the key does
// not act as MASTER, and a hold keeps what runs across an agent restart.
describe('quorum gate in the reconcile loop', { timeout: 240_000 }, () => {
  let pair: QuorumPair;
  let sampler: DoubleRunSampler;
  before(async () => {
    pair = await startQuorumPair({ programs: PROGRAMS, ttlMs: 10_000 });
    sampler = new DoubleRunSampler(pair.nodes, NAMES).start();
    await waitRunning(n1(), N, 'node1 to run the set');
  });
  after(async () => {
    sampler?.stop();
    await pair?.destroy();
  });
  const n1 = () => pair.nodes[0]!;
  const n2 = () => pair.nodes[1]!;
  const stateOf = async (n: HaNode, name: string) => (await n.sv.client().getAllProcessInfo()).find((p) => p.name === name)?.statename;
  const kill9 = async (n: HaNode) => {
    const child = n.agent!.child;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    n.agent = undefined;
  };
  const oneRuns = () =>
    waitFor(
      'one node to run the set',
      async () => {
        const [a, b] = [(await n1().running()).length, (await n2().running()).length];
        return (a === N && b === 0) || (a === 0 && b === N);
      },
      30_000,
    );
  const restart = async (n: HaNode) => {
    n.agent = await startAgent(n.cfgPath, n.socket, { prefix: pair.net.wrap(n.host) });
  };

  test('held as MASTER, the agent killed and restarted: the set keeps running, the key is taken again', async () => {
    const pid = (await n1().sv.client().getAllProcessInfo()).find((p) => p.name === 'web')?.pid;
    assert.ok(pid);
    const h = await supha(['--config', n1().cfgPath, 'hold', '--set', 'app', '--reason', 'test: hold across an agent restart']);
    assert.equal(h.code, 0, h.stderr);
    await kill9(n1());
    await restart(n1());
    await waitFor('node1 to hold the key again', async () => (await n1().agent!.status()).modules.quorum.sets.app?.state === 'held', 15_000);
    assert.equal((await n1().sv.client().getAllProcessInfo()).find((p) => p.name === 'web')?.pid, pid, 'web never stopped');
    assert.equal((await n1().running()).length, N);
    assert.equal((await n2().running()).length, 0);
    const r = await supha(['--config', n1().cfgPath, 'release', '--set', 'app']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('killed during a demotion while a program is STOPPING: the key is kept until it is down', async () => {
    await n1().ka!.stop();
    await waitFor('slow STOPPING on node1', async () => (await stateOf(n1(), 'slow')) === 'STOPPING', 10_000, 20);
    await kill9(n1());
    await restart(n1());
    await waitRunning(n2(), N, 'node2 to take the set', 20_000);
    await waitRunning(n1(), 0, 'node1 to run none');
    assert.equal(sampler.doubleMs, 0, `double-run ${Math.round(sampler.doubleMs)} ms`);
    // keepalived back on node1 (the preferred node): whether it preempts depends on whether its
    // track file says FAULT first (refused the key node2 holds); either way nothing runs twice.
    await n1().startKeepalived();
    await oneRuns();
    assert.equal(sampler.doubleMs, 0, `double-run ${Math.round(sampler.doubleMs)} ms`);
  });

  test('a MASTER fenced for want of etcd acts as FAULT: blue/green commands and the peer see it is not MASTER', async () => {
    const holder = (await n1().running()).length === N ? n1() : n2();
    assert.equal(holder.agent && (await holder.agent.status()).sets.app.role, 'MASTER');
    await pair.etcd.kill();
    await waitRunning(holder, 0, 'the holder to fence itself', 20_000);
    let text = '';
    await waitFor(
      'the holder to act as FAULT',
      async () => {
        const s = (await holder.agent!.status()).sets.app;
        text = s.roleText;
        return s.role === 'FAULT';
      },
      15_000,
    );
    // keepalived still MASTER: the agent says why it acts as FAULT; once the track file has moved
    // keepalived to FAULT too (what the fence asks of it), plain FAULT.
    assert.match(text, /^(MASTER, waiting for quorum|FAULT)$/);
    await pair.etcd.start();
    await oneRuns();
    assert.equal(sampler.doubleMs, 0, `double-run ${Math.round(sampler.doubleMs)} ms`);
  });
});
