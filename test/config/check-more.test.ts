import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { supha } from '../helpers/cli.js';
import { tempDir, writeJson } from '../helpers/tmp.js';

const base = () => ({
  'project-name': 'x',
  ha: { 'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry: '/etc/supervisor/registry/app', vip: '198.18.0.100' } } },
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

// What cannot work is refused by config check, in an operator's words.
describe('config check refuses what cannot work', () => {
  test('an address that is no IP address, v4 or v6', () => {
    for (const vip of ['999.1.1.1', '10.0.0', '1.2.3.4/33', 'fe80::1::2', 'gggg::1', ':::']) {
      const c = base();
      c.ha['service-sets'].app.vip = vip;
      assert.deepEqual(problems(c), [`ha.service-sets.app.vip: expected an IP address, got "${vip}"`], vip);
    }
    for (const vip of ['198.18.0.100', '198.18.0.100/24', 'fe80::1', '2001:db8::1/64']) {
      const c = base();
      c.ha['service-sets'].app.vip = vip;
      assert.deepEqual(problems(c), [], vip);
    }
  });

  test('retry-min-ms above retry-max-ms, an ha section with no sets', () => {
    assert.deepEqual(problems({ ...base(), ha: { ...base().ha, sync: { 'retry-min-ms': 5000, 'retry-max-ms': 1000 } } }), [
      'ha.sync.retry-min-ms: 5000 is above retry-max-ms (1000)',
    ]);
    assert.deepEqual(problems({ 'project-name': 'x', ha: {} }), ['ha.service-sets: an ha section needs at least one service set']);
  });

  test("zod's own wording is not shown: numbers out of range say what is wanted and what was given", () => {
    assert.deepEqual(problems({ 'project-name': 'x', supervisor: { 'timeout-ms': -5 } }), ['supervisor.timeout-ms: expected a number above 0, got -5']);
    assert.deepEqual(problems({ 'project-name': 'x', supervisor: { 'timeout-ms': 1.5 } }), ['supervisor.timeout-ms: expected a whole number, got 1.5']);
    assert.deepEqual(problems({ 'project-name': '' }), ['project-name: must not be empty']);
    // A pattern says what it wants, not "expected regex".
    const up = { 'upstream-conf-path': '/x', upstream: { 'upstream-name': 'a b', 'node-group': {} } };
    assert.deepEqual(problems({ 'project-name': 'x', nginx: up }).slice(0, 1), [
      'nginx.upstream.upstream-name: expected letters, digits, _ . - only, not starting with . or -, got "a b"',
    ]);
  });

  test("the runtime dir: the seed's runtime/ beside a conf/ folder, else <state-dir>/runtime", () => {
    assert.equal(parseConfig('{"project-name":"x"}', '/opt/tools/conf/config.json')['runtime-dir'], '/opt/tools/runtime');
    assert.equal(parseConfig('{"project-name":"x","state-dir":"/var/lib/supha"}', '/etc/supha/config.json')['runtime-dir'], '/var/lib/supha/runtime');
  });

  test('token and password files that do not exist or that others can read (supha config check)', async () => {
    const { dir, cleanup } = await tempDir('supha-cfgfiles-');
    try {
      const token = join(dir, 'agent.token');
      const pw = join(dir, 'rsync.pw');
      const c = {
        ...base(),
        'state-dir': join(dir, 'state'),
        ha: {
          ...base().ha,
          agent: { 'token-file': token },
          peers: { b: { 'sync-target': 'rsync://supha@198.18.0.12/supha-registry', 'password-file': pw } },
        },
      };
      const path = await writeJson(join(dir, 'config.json'), c);
      let r = await supha(['--config', path, 'config', 'check']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`^ha\\.agent\\.token-file: ${token}: no such file$`, 'm'));
      assert.match(r.stderr, new RegExp(`^ha\\.peers\\.b\\.password-file: ${pw}: no such file$`, 'm'));
      await writeFile(token, 't\n', { mode: 0o644 });
      await chmod(token, 0o644);
      await writeFile(pw, 'p\n', { mode: 0o600 });
      r = await supha(['--config', path, 'config', 'check']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`^ha\\.agent\\.token-file: ${token} is mode 0644: others can read it \\(chmod 600\\)$`, 'm'));
      assert.doesNotMatch(r.stderr, /password-file/);
      await chmod(token, 0o600);
      r = await supha(['--config', path, 'config', 'check']);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await cleanup();
    }
  });
});
