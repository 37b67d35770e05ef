import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import type { Check } from '../../src/doctor/index.js';
import { quorumChecks } from '../../src/doctor/quorum.js';
import { EtcdClient } from '../../src/quorum/index.js';
import { run } from '../../src/util/exec.js';
import { supha } from '../helpers/cli.js';
import { type Etcd, startEtcd } from '../helpers/etcd.js';
import { freePort, tempDir, writeJson } from '../helpers/tmp.js';

// `supha doctor` on ha.quorum against a real etcd (loopback): a good setup, then an endpoint
// down and a lease too short for the programs' stop.
describe('supha doctor: ha.quorum', () => {
  let etcd: Etcd;
  let dir: string;
  let cleanup: () => Promise<void>;
  let registry: string;
  const config = (quorum: Record<string, unknown>) => ({
    'project-name': 'pay',
    'state-dir': join(dir, 'state'),
    ha: {
      'node-name': 'a',
      keepalived: { 'notify-fifo': join(dir, 'ka.fifo') },
      'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry } },
      quorum: { endpoints: [etcd.url], ...quorum },
    },
  });
  const checks = (quorum: Record<string, unknown> = {}) => quorumChecks(parseConfig(JSON.stringify(config(quorum)), join(dir, 'config.json')));
  const line = (cs: Check[], name: string) => {
    const c = cs.find((x) => x.name === name);
    assert.ok(c, `${name} in ${JSON.stringify(cs)}`);
    return c;
  };

  before(async () => {
    ({ dir, cleanup } = await tempDir('supha-qdoc-'));
    registry = join(dir, 'registry', 'app');
    await mkdir(registry, { recursive: true });
    await writeFile(join(registry, 'web.conf'), '[program:web]\ncommand=/bin/sleep 1000\nautostart=false\nstopwaitsecs=1\n');
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
    await cleanup?.();
  });

  test('a good setup: endpoint healthy, prefix readable, lease fits, the holder and its lease', async () => {
    let cs = await checks();
    assert.deepEqual(
      cs.map((c) => `${c.verdict} ${c.name}`),
      [`ok quorum endpoint ${etcd.url}`, 'ok quorum prefix', 'ok quorum lease app', 'ok quorum holder app'],
    );
    assert.match(line(cs, `quorum endpoint ${etcd.url}`).detail, /^etcd 3\.\d+\.\d+, healthy \(leader \d+\)$/);
    assert.match(line(cs, 'quorum prefix').detail, /^\/supha\/pay\/: readable \(0 keys\)$/);
    assert.match(line(cs, 'quorum lease app').detail, /lease-ttl-ms 3000 fits a stop of 1250 ms \(at least 3000\)/);
    assert.match(line(cs, 'quorum holder app').detail, /free/);
    // Node b takes the key the way its witness does: a lease, then create-if-absent.
    const c = new EtcdClient({ endpoints: [etcd.url], timeoutMs: 2_000 });
    const lease = await c.grant(30);
    assert.deepEqual(await c.createIfAbsent('/supha/pay/sets/app/owner', JSON.stringify({ node: 'b', since: '2026-12-03T12:00:00Z' }), lease.id), {
      created: true,
    });
    cs = await checks();
    assert.match(line(cs, 'quorum holder app').detail, /^b since 2026-12-03T12:00:00Z, lease (29|30) s left$/);
    assert.match(line(cs, 'quorum prefix').detail, /\(1 keys\)/);
    await c.revoke(lease.id);
    // Registered in `supha doctor`: its lines are in the command's output.
    const cfgPath = await writeJson(join(dir, 'config.json'), config({}));
    const r = await supha(['--config', cfgPath, 'doctor']);
    assert.match(r.stdout, /^ok {4}quorum endpoint http:\/\/127\.0\.0\.1:\d+: etcd /m);
    assert.match(r.stdout, /^ok {4}quorum holder app: .*free/m);
  });

  test('an endpoint down: FAIL with the fix, the others still checked; every endpoint down: exit 1', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    let cs = await checks({ endpoints: [etcd.url, down] });
    assert.deepEqual(
      cs.filter((c) => c.verdict !== 'ok').map((c) => c.name),
      [`quorum endpoint ${down}`],
    );
    const f = line(cs, `quorum endpoint ${down}`);
    assert.match(f.detail, /ECONNREFUSED/);
    assert.match(f.fix ?? '', /2379\/tcp/);
    cs = await checks({ endpoints: [down] });
    assert.deepEqual(
      cs.map((c) => `${c.verdict} ${c.name}`),
      [`fail quorum endpoint ${down}`, 'skip quorum prefix', 'ok quorum lease app'],
    );
    const cfgPath = await writeJson(join(dir, 'down.json'), { ...config({}), ha: { ...config({}).ha, quorum: { endpoints: [down] } } });
    const r = await supha(['--config', cfgPath, 'doctor']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^FAIL {2}quorum endpoint ${down}: no etcd endpoint answers \\(${down}: ECONNREFUSED\\) -> fix: start etcd there`, 'm'));
  });

  test('a lease too short for the stop of a set: FAIL naming the program and the least TTL', async () => {
    const slow = join(registry, 'slow.conf');
    await writeFile(slow, '[program:slow]\ncommand=/bin/sleep 1000\nautostart=false\nstopwaitsecs=10\npriority=5\n');
    try {
      const cs = await checks();
      assert.deepEqual(
        cs.filter((c) => c.verdict !== 'ok').map((c) => c.name),
        ['quorum lease app'],
      );
      const f = line(cs, 'quorum lease app');
      assert.match(
        f.detail,
        /lease-ttl-ms 3000 is too short: the programs may take 11500 ms to stop \(slow \(stopwaitsecs 10\)\), so the lease must be at least 24000/,
      );
      assert.match(f.fix ?? '', /24000/);
      assert.equal(line(await checks({ 'lease-ttl-ms': 24_000, 'request-timeout-ms': 500 }), 'quorum lease app').verdict, 'ok');
    } finally {
      await writeFile(slow, '');
    }
  });

  // Last: it turns etcd's auth on.
  test("etcd's auth: a wrong password, and a user that may not read the prefix", async () => {
    const ctl = (...a: string[]) => run('etcdctl', ['--endpoints', etcd.url, ...a], { timeoutMs: 10_000 });
    await ctl('user', 'add', 'root:rootpw', '--interactive=false');
    await ctl('role', 'add', 'other');
    await ctl('role', 'grant-permission', 'other', '--prefix=true', 'readwrite', '/other/');
    await ctl('user', 'add', 'supha:right', '--interactive=false');
    await ctl('user', 'grant-role', 'supha', 'other');
    await ctl('auth', 'enable');
    const pw = join(dir, 'etcd.password');
    await writeFile(pw, 'wrong\n', { mode: 0o600 });
    let cs = await checks({ auth: { user: 'supha', 'password-file': pw } });
    const f = line(cs, `quorum endpoint ${etcd.url}`);
    assert.equal(f.verdict, 'fail');
    assert.match(f.detail, /^etcd answers: .*authentication failed/);
    assert.match(f.fix ?? '', /ha\.quorum\.auth/);
    await writeFile(pw, 'right\n', { mode: 0o600 });
    cs = await checks({ auth: { user: 'supha', 'password-file': pw } });
    assert.deepEqual(
      cs.filter((c) => c.verdict !== 'ok').map((c) => c.name),
      ['quorum prefix', 'quorum holder app'],
    );
    assert.match(line(cs, 'quorum prefix').detail, /permission denied/);
    assert.match(line(cs, 'quorum prefix').fix ?? '', /grant-permission/);
  });
});
