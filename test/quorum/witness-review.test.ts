import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EtcdClient, EtcdError, Witness } from '../../src/quorum/index.js';
import { run } from '../../src/util/exec.js';
import { silentLogger } from '../../src/util/log.js';
import { supha } from '../helpers/cli.js';
import { type Etcd, startEtcd } from '../helpers/etcd.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

// The witness against a real etcd on loopback (no hosts, no keepalived): the review's findings
// on issue 15, each a case.

// Real etcd; counts renewals, and can make renewals fail with an answer from etcd (an error
// etcd itself would give on an auth change), which a running etcd cannot be made to do on cue.
class Etcd2 extends EtcdClient {
  keepalives = 0;
  grants = 0;
  refuse = false;
  override async keepalive(id: string): Promise<number> {
    this.keepalives++;
    if (this.refuse) throw new EtcdError('/v3/lease/keepalive: etcdserver: permission denied', false);
    return super.keepalive(id);
  }
  override async grant(ttl: number): Promise<{ id: string; ttl: number }> {
    this.grants++;
    return super.grant(ttl);
  }
}

interface Made {
  w: Witness;
  etcd: Etcd2;
  lost: string[];
  freed: string[];
}

let etcd: Etcd;
let dir: string;
let cleanup: () => Promise<void>;
const made: Witness[] = [];

function witness(prefix: string, o: { node?: string; hostIdFile?: string; ttlMs?: number; policy?: 'stop' | 'freeze'; acquireWaitMs?: number } = {}): Made {
  const client = new Etcd2({ endpoints: [etcd.url], timeoutMs: 300 });
  const lost: string[] = [];
  const freed: string[] = [];
  const opts = {
    etcd: client,
    node: o.node ?? 'a',
    prefix,
    ttlMs: o.ttlMs ?? 3_000,
    policy: o.policy ?? 'stop',
    acquireWaitMs: o.acquireWaitMs ?? 500,
    log: silentLogger,
    lost: (s: string) => lost.push(s),
    freed: (s: string) => freed.push(s),
    ...(o.hostIdFile ? { hostIdFile: o.hostIdFile } : {}),
  };
  const w = new Witness(opts);
  made.push(w);
  return { w, etcd: client, lost, freed };
}

const etcdctl = (...args: string[]) => run('etcdctl', ['--endpoints', etcd.url, ...args], { timeoutMs: 5_000 });

// mayRun with a deadline: a gate that never answers is a failure, not a hung test.
async function gate(m: Made, budgetMs = 1_250): Promise<{ ok: boolean; why?: string }> {
  const abort = new AbortController();
  const t = setTimeout(() => abort.abort(), 5_000);
  try {
    const r = await Promise.race([
      m.w.mayRun('app', budgetMs, abort.signal),
      new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(new Error('mayRun did not answer in 5 s')))),
    ]);
    return r.ok ? { ok: true } : { ok: false, why: r.why };
  } finally {
    clearTimeout(t);
    abort.abort();
  }
}

describe('quorum witness, review of issue 15', () => {
  before(async () => {
    ({ dir, cleanup } = await tempDir('supha-wrev-'));
    etcd = await startEtcd({ clientPort: await freePort(), peerPort: await freePort() });
  });
  after(async () => {
    for (const w of made) await w.stop();
    await etcd?.stop();
    await cleanup?.();
  });

  test('a holder whose stop budget exceeds what the TTL allows is not fenced while renewals succeed, and says why in its status', async () => {
    const m = witness('/t1');
    // supervisord's default stopwaitsecs 10 with the default TTL 3 s.
    assert.deepEqual(await gate(m, 10_250), { ok: true });
    await waitFor('4 renewals or a fence', () => m.etcd.keepalives >= 4 || m.lost.length > 0, 10_000, 20);
    assert.deepEqual(m.lost, [], 'fenced while every renewal succeeded');
    assert.equal(m.w.holding('app'), true);
    const st = m.w.status().sets.app as unknown as Record<string, unknown>;
    assert.match(String(st.ttlTooShort), /lease-ttl-ms 3000 is too short for the set's stopwaitsecs \(stop budget 10250 ms\)/);
  });

  test('a key naming this node bound to no lease (etcdctl put) is deleted, then taken; no busy loop', async () => {
    const m = witness('/t2');
    await etcdctl('put', '/t2/sets/app/owner', JSON.stringify({ node: 'a', since: 'restored' }));
    await m.w.release('app');
    const g = await gate(m);
    assert.deepEqual(g, { ok: true });
    assert.ok(m.etcd.grants <= 3, `${m.etcd.grants} lease grants`);
    const kv = await m.etcd.get('/t2/sets/app/owner');
    assert.notEqual(kv?.lease, '0');
  });

  test('a key with no lease naming another node is left alone: the gate answers, the set is blocked and says so', async () => {
    const m = witness('/t2b');
    await etcdctl('put', '/t2b/sets/app/owner', JSON.stringify({ node: 'b', since: 'restored' }));
    await m.w.release('app');
    const g = await gate(m);
    assert.equal(g.ok, false);
    assert.match(String(g.why), /held by b since restored, bound to no lease/);
    assert.ok(m.etcd.grants <= 20, `${m.etcd.grants} lease grants in acquire-wait-ms 500`);
    assert.equal((await m.etcd.get('/t2b/sets/app/owner'))?.lease, '0');
  });

  test("two hosts with the same node name: the second neither revokes the first one's key nor runs the set", async () => {
    const a1 = witness('/t3', { hostIdFile: join(dir, 'host1') });
    const a2 = witness('/t3', { hostIdFile: join(dir, 'host2') });
    assert.deepEqual(await gate(a1), { ok: true });
    const held = await a1.etcd.get('/t3/sets/app/owner');
    // The second host starts: its set is down, it looks for a key "its previous agent" left.
    await a2.w.release('app');
    assert.equal((await a2.etcd.get('/t3/sets/app/owner'))?.lease, held?.lease, "the first host's key was revoked");
    const g = await gate(a2);
    assert.equal(g.ok, false, 'both hosts run the set');
    assert.equal(a1.w.holding('app'), true);
    // The same host id (a restarted agent of the first host) does release it.
    const a1again = witness('/t3', { hostIdFile: join(dir, 'host1') });
    await a1again.w.release('app');
    assert.equal(await a1.etcd.get('/t3/sets/app/owner'), undefined);
  });

  test('policy freeze: frozen while no endpoint answers; fenced when etcd answers with a refusal; kicks the loop when unfrozen', async () => {
    const m = witness('/t4', { policy: 'freeze' });
    assert.deepEqual(await gate(m), { ok: true });
    const port = Number(new URL(etcd.url).port);
    // No endpoint answers: a client of a port nothing listens on.
    const dead = await freePort();
    (m.etcd as unknown as { o: { endpoints: string[] } }).o.endpoints = [`http://127.0.0.1:${dead}`];
    await waitFor('frozen', () => m.w.status().sets.app?.state === 'frozen', 10_000, 20);
    (m.etcd as unknown as { o: { endpoints: string[] } }).o.endpoints = [`http://127.0.0.1:${port}`];
    await waitFor('unfrozen', () => m.w.status().sets.app?.state === 'held', 10_000, 20);
    assert.deepEqual(m.freed, ['app'], 'the loop was not kicked when the freeze ended');
    // Frozen again, then etcd answers with an error: the freeze ends in a fence.
    (m.etcd as unknown as { o: { endpoints: string[] } }).o.endpoints = [`http://127.0.0.1:${dead}`];
    await waitFor('frozen again', () => m.w.status().sets.app?.state === 'frozen', 10_000, 20);
    const lostBefore = m.lost.length;
    m.etcd.refuse = true;
    (m.etcd as unknown as { o: { endpoints: string[] } }).o.endpoints = [`http://127.0.0.1:${port}`];
    await waitFor('fenced', () => m.w.status().sets.app?.state !== 'frozen', 10_000, 20);
    assert.equal(m.w.holding('app'), false);
    assert.ok(m.lost.length > lostBefore);
  });

  test('the agent refuses to start with a TTL too short for its sets, or a node named like a peer (the rules of config check)', async () => {
    const reg = join(dir, 'registry', 'app');
    await mkdir(reg, { recursive: true });
    await writeFile(join(reg, 'web.conf'), '[program:web]\ncommand=/bin/sleep 1000\nautostart=false\n');
    const cfgOf = async (ttl: number, node: string) => ({
      'project-name': 'pay',
      'state-dir': join(dir, 'state'),
      'runtime-dir': join(dir, 'run'),
      supervisor: { 'server-url': `unix://${join(dir, 'supervisor.sock')}`, 'registry-dirs': [join(dir, 'plain')] },
      ha: {
        'node-name': node,
        keepalived: { 'notify-fifo': join(dir, 'fifo'), 'pid-file': join(dir, 'keepalived.pid') },
        agent: { listen: `127.0.0.1:${await freePort()}`, 'control-socket': join(dir, 'agent.sock') },
        'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry: reg } },
        peers: { b: {} },
        quorum: { endpoints: [etcd.url], 'lease-ttl-ms': ttl },
      },
    });
    const cfg = join(dir, 'config.json');
    await writeJson(cfg, await cfgOf(3_000, 'a'));
    let r = await supha(['--config', cfg, 'agent']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ha\.quorum\.lease-ttl-ms: 3000 is too short for set "app"/);
    await writeJson(cfg, await cfgOf(21_000, 'b'));
    r = await supha(['--config', cfg, 'config', 'check']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ha\.node-name: "b" is also the name of a peer in ha\.peers/);
    r = await supha(['--config', cfg, 'agent']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ha\.node-name: "b" is also the name of a peer/);
  });
});
