import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.js';

const seedText = readFileSync(join(import.meta.dirname, '../../../test/fixtures/seed-config.json'), 'utf8');
const exampleText = readFileSync(join(import.meta.dirname, '../../../conf/config.json'), 'utf8');

function problemsOf(mutate: (c: any) => void): string[] {
  const c = JSON.parse(seedText);
  mutate(c);
  try {
    parseConfig(JSON.stringify(c), '/etc/supha/conf/config.json');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('config', () => {
  test("accepts the seed's config.json exactly as written, with defaults", () => {
    const cfg = parseConfig(seedText, '/opt/py-server-tools/conf/config.json');
    assert.equal(cfg['project-name'], 'test');
    assert.equal(cfg['state-dir'], '/var/lib/supha');
    assert.equal(cfg['runtime-dir'], '/opt/py-server-tools/runtime');
    assert.equal(cfg.supervisor['server-url'], 'unix:///var/run/supervisor.sock');
    assert.deepEqual(cfg.supervisor['registry-dirs'], ['/etc/supervisor/conf.d']);
    assert.equal(cfg.nginx?.upstream.keepalive, 1);
    assert.equal(cfg.nginx?.upstream['node-group'].group1?.nodes['jetty1-backup']?.backup, true);
    assert.equal(cfg.nginx?.health['fail-threshold'], 5);
  });

  test('accepts the shipped example conf/config.json (one blue/green host; the HA pair is conf/node-a.json, node-b.json)', () => {
    const cfg = parseConfig(exampleText, '/etc/supha/config.json');
    assert.equal(cfg.nginx?.upstream['upstream-name'], 'jetty');
    assert.equal(cfg.ha, undefined);
  });

  test('only project-name is required', () => {
    const cfg = parseConfig('{"project-name":"x","runtime-dir":"rt","state-dir":"st"}', '/a/b/config.json');
    assert.equal(cfg['runtime-dir'], '/a/b/rt');
    assert.equal(cfg['state-dir'], '/a/b/st');
    assert.equal(cfg.nginx, undefined);
    assert.deepEqual(
      problemsOf((c) => delete c['project-name']),
      ['project-name: required string is missing'],
    );
  });

  test('relative paths are resolved against the config file folder', () => {
    const c = JSON.parse(seedText);
    c.nginx['upstream-conf-path'] = 'nginx/upstream.conf';
    c.ha = { 'service-sets': { s: { 'vrrp-instance': 'VI_1', registry: 'reg' } }, agent: { 'token-file': 'token' }, peers: { p: { 'password-file': 'pw' } } };
    const cfg = parseConfig(JSON.stringify(c), '/etc/supha/config.json');
    assert.equal(cfg.nginx?.['upstream-conf-path'], '/etc/supha/nginx/upstream.conf');
    assert.equal(cfg.ha?.['service-sets'].s?.registry, '/etc/supha/reg');
    assert.equal(cfg.ha?.agent['token-file'], '/etc/supha/token');
    assert.equal(cfg.ha?.peers.p?.['password-file'], '/etc/supha/pw');
    assert.equal(cfg.ha?.keepalived['notify-fifo'], '/run/supha/keepalived.fifo');
  });

  test('a wrong type names the path, the expected and the given type', () => {
    assert.deepEqual(
      problemsOf((c) => {
        c.nginx.upstream['node-group'].group1.nodes.jetty1.backup = 'no';
      }),
      ['nginx.upstream.node-group.group1.nodes.jetty1.backup: expected boolean, got string'],
    );
  });

  test('unknown keys are errors, every one of them', () => {
    const got = problemsOf((c) => {
      c.nginx['upstream-conf-pth'] = 'x';
      c.nginx.upstream['node-group'].group2.nodes.jetty2['helth-check-url'] = 'x';
      c.colour = 'blue';
    }).sort();
    assert.deepEqual(got, [
      'colour: unknown key',
      'nginx.upstream-conf-pth: unknown key',
      'nginx.upstream.node-group.group2.nodes.jetty2.helth-check-url: unknown key',
    ]);
  });

  test('semantic rules: one primary, one standby, unique node names, URLs that parse', () => {
    assert.deepEqual(
      problemsOf((c) => {
        c.nginx.upstream['node-group'].group2['default-group'] = 'primary';
      }),
      [
        'nginx.upstream.node-group: expected exactly one group with default-group "primary", got 2 (group1, group2)',
        'nginx.upstream.node-group: expected exactly one group with default-group "standby", got 0',
      ],
    );
    assert.deepEqual(
      problemsOf((c) => {
        const g = c.nginx.upstream['node-group'];
        g.group2.nodes.jetty1 = g.group2.nodes.jetty2;
        delete g.group2.nodes.jetty2;
      }),
      ['nginx.upstream.node-group.group2.nodes.jetty1: node name "jetty1" is also used in group "group1"'],
    );
    assert.deepEqual(
      problemsOf((c) => {
        const n = c.nginx.upstream['node-group'].group1.nodes.jetty1;
        n['health-check-url'] = 'not a url';
        n['upstream-url'] = '127.0.0.1';
      }),
      [
        'nginx.upstream.node-group.group1.nodes.jetty1.health-check-url: expected an http(s) URL, got "not a url"',
        'nginx.upstream.node-group.group1.nodes.jetty1.upstream-url: expected host:port, got "127.0.0.1"',
      ],
    );
    assert.deepEqual(
      problemsOf((c) => {
        c.supervisor = { 'server-url': 'ftp://x' };
      }),
      ['supervisor.server-url: expected unix:///path.sock or http://host:port, got "ftp://x"'],
    );
    assert.deepEqual(
      problemsOf((c) => {
        c.nginx.upstream['node-group'].group1['default-group'] = 'main';
      }),
      ['nginx.upstream.node-group.group1.default-group: expected one of "primary", "standby", got "main"'],
    );
  });

  test('invalid JSON is one line', () => {
    assert.throws(
      () => parseConfig('{"project-name": ', '/x/config.json'),
      (e: Error) => /^config \/x\/config.json: invalid JSON: /.test(e.message) && !e.message.includes('\n'),
    );
  });
});
