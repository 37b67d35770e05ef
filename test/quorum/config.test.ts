import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { leaseTiming, minTtlMs, stopBudgetMs } from '../../src/quorum/index.js';
import { entriesOf } from '../../src/registry/index.js';
import { supha } from '../helpers/cli.js';
import { tempDir, writeJson } from '../helpers/tmp.js';

const base = (quorum: unknown) => ({
  'project-name': 'pay',
  ha: { 'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry: '/etc/supervisor/registry/app' } }, quorum },
});

function problems(c: unknown): string[] {
  try {
    parseConfig(JSON.stringify(c), '/etc/supha/config.json');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('ha.quorum in the config', () => {
  test('defaults: prefix /supha/<project-name>, policy stop, lease 3 s', () => {
    const cfg = parseConfig(JSON.stringify(base({ endpoints: ['http://10.0.0.5:2379'] })), '/etc/supha/config.json');
    assert.deepEqual(
      { prefix: cfg.ha?.quorum?.prefix, policy: cfg.ha?.quorum?.policy, ttl: cfg.ha?.quorum?.['lease-ttl-ms'] },
      { prefix: '/supha/pay', policy: 'stop', ttl: 3000 },
    );
  });

  test('what cannot work is refused in one line each', () => {
    assert.deepEqual(problems(base({ endpoints: [] })), ['ha.quorum.endpoints: expected at least one item']);
    assert.deepEqual(problems(base({ endpoints: ['10.0.0.5:2379'] })), [
      'ha.quorum.endpoints.0: expected an etcd client URL http(s)://host:port, got "10.0.0.5:2379"',
    ]);
    assert.deepEqual(problems(base({ endpoints: ['http://e:2379'], 'lease-ttl-ms': 2500 })), [
      'ha.quorum.lease-ttl-ms: 2500 is not a whole number of seconds (etcd counts leases in seconds): use 1000, 2000, 3000...',
    ]);
    assert.deepEqual(problems(base({ endpoints: ['http://e:2379'], policy: 'ignore' })), ['ha.quorum.policy: expected one of "stop", "freeze", got "ignore"']);
    assert.deepEqual(problems(base({ endpoints: ['http://e:2379'], prefix: 'supha/' })), [
      'ha.quorum.prefix: expected a key prefix starting with "/" and not ending with one, got "supha/"',
    ]);
    assert.deepEqual(problems(base({ endpoints: ['http://e:2379'], 'request-timeout-ms': 1000 })), [
      'ha.quorum.request-timeout-ms: 1000 is more than a quarter of lease-ttl-ms (3000): a renewal would not fit in the lease',
    ]);
    assert.deepEqual(problems(base({ endpoints: ['http://e:2379'], tls: { 'cert-file': '/x' } })), ['ha.quorum.tls: cert-file and key-file go together']);
    assert.deepEqual(problems(base({ endpoints: ['http://e:2379'], ttl: 3 })), ['ha.quorum.ttl: unknown key']);
  });

  test('stop budget from stopwaitsecs: batches by priority in turn, the longest of each batch', () => {
    const entries = entriesOf(
      '[program:a]\ncommand=x\nstopwaitsecs=3\npriority=1\n[program:b]\ncommand=x\nstopwaitsecs=5\npriority=1\n[program:c]\ncommand=x\npriority=2\n',
      'f.conf',
    );
    // 5 s (a, b at once) + 10 s (c, supervisord's default) + 250 ms per batch.
    assert.deepEqual(stopBudgetMs(entries), { ms: 15_500, worst: 'c (stopwaitsecs 10)' });
    assert.equal(minTtlMs(15_500), 32_000);
    const t = leaseTiming(32_000, 15_500);
    assert.equal(t.tooShort, false);
    assert.ok(t.fenceAfterMs + 15_500 < 32_000, 'the stop ends before the lease can expire');
  });

  test('supha config check refuses a TTL too short for the programs of a set', async () => {
    const { dir, cleanup } = await tempDir('supha-qcfg-');
    try {
      const reg = join(dir, 'registry', 'app');
      await mkdir(reg, { recursive: true });
      await writeFile(join(reg, 'web.conf'), '[program:web]\ncommand=/bin/sleep 1000\nautostart=false\n');
      const cfg = join(dir, 'config.json');
      await writeJson(cfg, {
        ...base({ endpoints: ['http://127.0.0.1:2379'] }),
        ha: { ...base({}).ha, 'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry: reg } }, quorum: { endpoints: ['http://127.0.0.1:2379'] } },
      });
      let r = await supha(['--config', cfg, 'config', 'check']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /ha\.quorum\.lease-ttl-ms: 3000 is too short for set "app": its programs may take 10250 ms to stop \(web \(stopwaitsecs 10\)\), so the lease must be at least 21000/,
      );
      await writeFile(join(reg, 'web.conf'), '[program:web]\ncommand=/bin/sleep 1000\nautostart=false\nstopwaitsecs=1\n');
      r = await supha(['--config', cfg, 'config', 'check']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /quorum etcd http:\/\/127\.0\.0\.1:2379: keys under \/supha\/pay\/sets\/, lease 3000 ms, policy stop/);
    } finally {
      await cleanup();
    }
  });
});
