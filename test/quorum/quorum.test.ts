import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { startAgent } from '../helpers/agent.js';
import type { HaNode } from '../helpers/hapair.js';
import { waitRunning } from '../helpers/hapair.js';
import { waitFor } from '../helpers/tmp.js';
import { DoubleRunSampler, PROGRAMS, type QuorumPair, startQuorumPair } from './rig.js';

const N = Object.keys(PROGRAMS).length;
const NAMES = new Set(Object.keys(PROGRAMS));

const quorumOf = async (n: HaNode) => (await n.agent!.status()).modules.quorum.sets.app;
const vipOn = async (pair: QuorumPair, n: HaNode) => (await pair.net.exec(n.host, ['ip', '-4', 'addr', 'show', 'dev', 'eth0'])).includes(`${pair.vip}/`);
const ownerOf = async (pair: QuorumPair) => {
  const out = await pair.etcdctl('get', '--print-value-only', '/supha/ha-test/sets/app/owner');
  return out.trim() === '' ? undefined : (JSON.parse(out.trim()) as { node: string }).node;
};
// The agent's /metrics (its listen address is the host namespace's loopback), as name{labels} -> value.
const metricsOf = async (pair: QuorumPair, n: HaNode) => {
  const text = await pair.net.exec(n.host, ['curl', '-sf', '--max-time', '5', 'http://127.0.0.1:7373/metrics']);
  return new Map(
    text
      .split('\n')
      .flatMap((l) => (l.startsWith('supha_quorum_') ? [[l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))] as const] : [])),
  );
};

// Waits until one node runs the set and holds its key in a state nothing will undo: node1 (the
// higher VRRP priority) with node2 not MASTER, or node2 while node1 is FAULT (refused the key).
// NOTE: "one node runs it" alone also matches node2 for the moment it runs before node1, leaving
// FAULT at the same time, preempts it (then node2 stops and releases the key): a flake.
async function settled(pair: QuorumPair): Promise<HaNode> {
  const [a, b] = pair.nodes as [HaNode, HaNode];
  return waitFor(
    'one node to run the set and hold its key, settled',
    async () => {
      const [ra, rb] = [(await a.running()).length, (await b.running()).length];
      const [da, db] = [(await a.agent!.status()).sets.app.desired, (await b.agent!.status()).sets.app.desired];
      const owner = await ownerOf(pair);
      if (ra === N && rb === 0 && owner === 'node1' && da === 'MASTER' && db !== 'MASTER') return a;
      if (rb === N && ra === 0 && owner === 'node2' && db === 'MASTER' && da === 'FAULT') return b;
      return undefined;
    },
    20_000,
  );
}

// Real etcd (bridge namespace) and keepalived on two namespace hosts; lease TTL 6 s, stopwaitsecs
// 1 (fencing after 4.5 s without a renewal). A sampler reads both supervisords every 50 ms.
// NOTE: 6 s, not the default 3 (as docs/install.md advises): a killed agent's lease may expire 3/4
// TTL after the kill, and its restart (Node's start, the stop of the orphans) took over 2.25 s
// under load ~7 and over 3 s under load ~23 on this 2-core box.
const TTL = 6_000;
describe('quorum witness: no set runs on two hosts', { timeout: 240_000 }, () => {
  let pair: QuorumPair;
  let sampler: DoubleRunSampler;
  before(async () => {
    // etcd answered a revoke after more than 300 ms under load ~14 (its fsync): 1 s per request.
    pair = await startQuorumPair({ ttlMs: TTL, requestTimeoutMs: 1_000 });
    sampler = new DoubleRunSampler(pair.nodes, NAMES).start();
  });
  after(async () => {
    sampler?.stop();
    if (process.env.QUORUM_DUMP)
      for (const [i, n] of (pair?.nodes ?? []).entries()) {
        await writeFile(`${process.env.QUORUM_DUMP}.n${i + 1}`, n.agent?.logs() ?? '');
        await writeFile(`${process.env.QUORUM_DUMP}.ka${i + 1}`, n.ka?.logs() ?? '');
      }
    await pair?.destroy();
  });
  const n1 = () => pair.nodes[0]!;
  const n2 = () => pair.nodes[1]!;

  test('the MASTER takes the key and runs the set; the BACKUP runs none', async () => {
    await waitRunning(n1(), N, 'node1 to run the set');
    await waitFor('node1 to hold the key', async () => (await quorumOf(n1())).state === 'held');
    assert.equal(await ownerOf(pair), 'node1');
    const q = await quorumOf(n1());
    assert.ok(q.leaseRemainingMs > 0 && q.leaseRemainingMs <= TTL, `lease remaining ${q.leaseRemainingMs}`);
    assert.ok(q.lastRenewalAt);
    assert.equal((await n1().agent!.status()).modules.quorum.endpoints[0].ok, true);
    await waitRunning(n2(), 0, 'node2 to run none');
    const m = await metricsOf(pair, n1());
    assert.equal(m.get('supha_quorum_held{set="app"}'), 1, JSON.stringify([...m]));
    assert.equal(m.get('supha_quorum_waiting{set="app"}'), 0);
    assert.equal(m.get('supha_quorum_frozen{set="app"}'), 0);
    assert.equal(m.get('supha_quorum_fences{set="app"}'), 0);
    assert.equal(m.get(`supha_quorum_endpoint_up{endpoint="${pair.etcd.url}"}`), 1);
    const lease = m.get('supha_quorum_lease_remaining_seconds{set="app"}') ?? 0;
    assert.ok(lease > 0 && lease <= TTL / 1000, `lease remaining ${lease} s`);
    assert.equal((await metricsOf(pair, n2())).get('supha_quorum_held{set="app"}'), 0);
  });

  test('a clean failover (keepalived stopped on the holder) releases the key at once', async () => {
    const t0 = performance.now();
    await n1().ka!.stop();
    await waitRunning(n2(), N, 'node2 to take the set', 5_000);
    // Well inside the TTL: node1 revoked its lease rather than letting it expire.
    assert.ok(performance.now() - t0 < 2_500, `took ${Math.round(performance.now() - t0)} ms`);
    await waitRunning(n1(), 0, 'node1 to run none');
    assert.equal(await ownerOf(pair), 'node2');
    await n1().startKeepalived();
    await waitRunning(n1(), N, 'node1 to take the set back');
    await waitRunning(n2(), 0, 'node2 to stop');
    assert.equal(sampler.doubleMs, 0, 'double-run ms');
  });

  test('split brain, both reaching etcd: the holder keeps the set, the other goes FAULT and gives the VIP back', async () => {
    await pair.split();
    // node2 stops hearing node1 and becomes MASTER; refused the key, it writes its track file.
    await waitFor(
      'node2 to be refused the key',
      async () => {
        const st = await n2().agent!.status();
        return st.modules.quorum.sets.app?.state === 'waiting' && st.sets.app.health.why.startsWith('MASTER, waiting for quorum') && st;
      },
      10_000,
    );
    await waitFor('node2 to go FAULT (track file)', async () => (await n2().agent!.status()).sets.app.desired === 'FAULT', 10_000);
    await waitFor('node2 to give the VIP back', async () => !(await vipOn(pair, n2())), 5_000);
    assert.equal((await n1().running()).length, N, 'node1 still runs the set');
    assert.equal((await n2().running()).length, 0, 'node2 started nothing');
    assert.equal(await ownerOf(pair), 'node1');
    await pair.heal();
    assert.equal(sampler.doubleMs, 0, 'double-run ms');
  });

  test('holder isolated (every packet dropped, link up): it stops the set before its lease can expire; the peer starts it after', async () => {
    const t0 = performance.now();
    await pair.isolate(n1());
    await waitRunning(n1(), 0, 'node1 to fence itself', 10_000);
    const fencedAt = performance.now() - t0;
    // Fencing 4.5 s after the last renewal (sent up to 1.5 s before the cut): before the TTL.
    assert.ok(fencedAt < TTL, `node1 fenced after ${Math.round(fencedAt)} ms, past the TTL`);
    assert.ok((await quorumOf(n1())).fences >= 1, 'node1 fenced itself (not a keepalived FAULT)');
    await waitRunning(n2(), N, 'node2 to take the set', 15_000);
    // node1's last renewal went out at most TTL/4 before the cut: its lease could not expire on
    // etcd before t0 + 3/4 TTL.
    const tookMs = performance.now() - t0;
    assert.ok(tookMs >= (TTL * 3) / 4, `node2 started ${Math.round(tookMs)} ms after the cut, before the lease could have expired`);
    assert.equal(await ownerOf(pair), 'node2');
    await pair.unisolate(n1());
    await settled(pair);
    assert.equal(sampler.doubleMs, 0, 'double-run ms');
  });

  test('etcd down (policy stop): the holder stops the set after the fencing delay; nothing runs anywhere', async () => {
    await waitFor('a holder', async () => (await quorumOf(n1())).state === 'held' || (await quorumOf(n2())).state === 'held', 10_000);
    const holder = (await quorumOf(n1())).state === 'held' ? n1() : n2();
    const other = holder === n1() ? n2() : n1();
    const fences = (await quorumOf(holder)).fences;
    const t0 = performance.now();
    await pair.etcd.kill();
    await waitRunning(holder, 0, 'the holder to fence itself', 10_000);
    assert.ok(performance.now() - t0 < TTL, `fenced after ${Math.round(performance.now() - t0)} ms`);
    const q = await quorumOf(holder);
    assert.equal(q.state, 'waiting');
    assert.equal(q.fences, fences + 1);
    assert.equal((await holder.agent!.status()).modules.quorum.endpoints[0].ok, false);
    // The fencing pass writes the track file as it ends (a moment after the stops).
    await waitFor('track file 1: keepalived FAULTs it', async () => (await holder.agent!.status()).sets.app.healthy === false, 5_000);
    assert.equal((await other.running()).length, 0);
    const m = await metricsOf(pair, holder);
    assert.equal(m.get(`supha_quorum_endpoint_up{endpoint="${pair.etcd.url}"}`), 0);
    assert.equal(m.get('supha_quorum_fences{set="app"}'), fences + 1);
    assert.equal(m.get('supha_quorum_held{set="app"}'), 0);
  });

  test('etcd back: one node takes the key and runs the set', async () => {
    await pair.etcd.start();
    const runner = await settled(pair);
    assert.equal((await quorumOf(runner)).state, 'held');
    assert.equal(sampler.doubleMs, 0, 'double-run ms');
  });

  test('kill -9 of the holder agent: the peer takes over only once the agent, restarted, has stopped the orphans', async () => {
    const holder = (await n1().running()).length === N ? n1() : n2();
    const other = holder === n1() ? n2() : n1();
    if (process.env.QUORUM_DUMP) await writeFile(`${process.env.QUORUM_DUMP}.killed`, holder.agent!.logs());
    const otherLogsAt = other.agent!.logs().length;
    holder.agent!.child.kill('SIGKILL');
    await waitFor('the agent to die', () => holder.agent!.child.signalCode !== null);
    // keepalived moves the VIP (as a `supha check` track script would once the agent is gone).
    await holder.ka!.stop();
    // MASTER, or FAULT and refused the key (when it was the one settled as refused, node1).
    await waitFor(
      'the peer to want the set',
      async () => {
        const st = await other.agent!.status();
        return st.sets.app.desired === 'MASTER' || st.modules.quorum.sets.app?.state === 'waiting';
      },
      5_000,
    );
    // The orphans run on; the key (the dead agent's lease) keeps the peer from starting.
    assert.equal((await holder.running()).length, N);
    assert.equal((await other.running()).length, 0);
    // systemd's Restart=always brings the agent back (RestartSec=1 in the shipped unit; here at once).
    holder.agent = await startAgent(holder.cfgPath, holder.socket, { prefix: pair.net.wrap(holder.host) });
    await waitRunning(other, N, 'the peer to take the set', 15_000);
    await waitRunning(holder, 0, 'the orphans stopped');
    const logs = holder.agent.logs();
    const stopped = logs.indexOf('running without its key');
    const released = logs.indexOf('released the key a previous agent of this node left');
    assert.ok(stopped >= 0, 'the new agent stopped the orphans');
    assert.ok(released > stopped, 'then released the old key');
    // The peer took the key only once the orphans were stopped. NOTE: not "after the release line":
    // etcd may apply the revoke, and the peer see the key free, before the answer reaches us.
    const timeOf = (text: string, what: string) => (JSON.parse(text.split('\n').find((l) => l.includes(what)) ?? '{}') as { time?: number }).time ?? Number.NaN;
    const stoppedAt = timeOf(logs, 'running without its key');
    const takenAt = timeOf(other.agent!.logs().slice(otherLogsAt), 'key taken');
    assert.ok(takenAt >= stoppedAt, `the peer took the key at ${takenAt}, the orphans were stopped at ${stoppedAt}`);
    assert.equal(await ownerOf(pair), other === n1() ? 'node1' : 'node2');
    assert.equal(sampler.doubleMs, 0, 'double-run ms');
    await holder.startKeepalived();
  });
});

describe('quorum witness: policy freeze', { timeout: 120_000 }, () => {
  let pair: QuorumPair;
  before(async () => {
    pair = await startQuorumPair({ policy: 'freeze' });
  });
  after(async () => {
    await pair?.destroy();
  });

  test('etcd down: the holder keeps what runs (frozen), the other starts nothing; etcd back: unfrozen', async () => {
    const [n1, n2] = pair.nodes as [HaNode, HaNode];
    await waitRunning(n1, N, 'node1 to run the set');
    await waitFor('node1 to hold the key', async () => (await quorumOf(n1)).state === 'held');
    await pair.etcd.kill();
    await waitFor('node1 frozen', async () => (await quorumOf(n1)).state === 'frozen', 10_000);
    assert.equal((await n1.running()).length, N, 'frozen: still running');
    assert.equal((await n1.agent!.status()).sets.app.healthy, true, 'a frozen holder keeps the VIP');
    assert.equal((await n2.running()).length, 0);
    await pair.etcd.start();
    await waitFor('node1 unfrozen', async () => (await quorumOf(n1)).state === 'held', 10_000);
    assert.equal((await n1.running()).length, N);
    assert.equal((await n2.running()).length, 0);
  });
});
