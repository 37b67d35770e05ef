import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { childPids } from '../../src/nginx/index.js';
import { type Rig, startRig } from '../helpers/bluegreen.js';
import { ROOT, supha } from '../helpers/cli.js';
import { get } from '../helpers/load.js';
import { newPids } from '../helpers/nginx.js';
import { waitFor } from '../helpers/tmp.js';

// Passes the config's host:port check, and nginx -t rejects it while parsing (no DNS involved).
const BAD_URL = '[::1::1]:8080';
const SEED_HEALTH_KEYS = ['status', 'health-check-url', 'last-response-time', 'reboot-count', 'last-response-code', 'fail-count', 'last-check-time'];

describe('nodes check and upstream render (real nginx, real supervisord)', () => {
  let rig: Rig;
  before(async () => {
    // The live file starts out pointing at group2's ports, so rendering group1 changes it.
    rig = await startRig({ upstreamText: 'upstream jetty {\n    server 127.0.0.1:1;\n}\n' });
    await rig.startNodes('g1', 'g1-backup');
  });
  after(async () => rig?.stop());

  test('nodes check: the seed rule and the seed shape', async () => {
    const r = await supha(['nodes', 'check', '--config', rig.cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NODE +GROUP +STATUS/);
    assert.match(r.stdout, /g1 +group1 \(primary\) +running +200/);
    const file = JSON.parse(await readFile(join(rig.runtimeDir, 'node-health-status.json'), 'utf8'));
    assert.deepEqual(Object.keys(file).sort(), ['g1', 'g1-backup', 'g2', 'g2-backup']);
    for (const n of Object.values(file) as Record<string, unknown>[]) assert.deepEqual(Object.keys(n), SEED_HEALTH_KEYS);
    assert.equal(file.g1.status, 'running');
    assert.equal(file.g1['fail-count'], 0);
    assert.match(file.g1['last-check-time'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(typeof file.g1['last-response-time'], 'number');
    // g2 is stopped: one failure is not dead yet, fail-threshold (2) in a row is.
    assert.equal(file.g2.status, 'n/a');
    assert.equal(file.g2['fail-count'], 1);
    assert.equal(file.g2['last-response-code'], 502);
    const r2 = await supha(['nodes', 'check', '--json', '--config', rig.cfgPath]);
    const json = JSON.parse(r2.stdout);
    assert.equal(json.g2.status, 'dead');
    assert.equal(json.g2['fail-count'], 2);
    // The file is written with the seed's 4-space indent.
    assert.match(await readFile(join(rig.runtimeDir, 'node-health-status.json'), 'utf8'), /^\{\n {4}"g1": \{\n {8}"status"/);
  });

  test('render serves the primary group and marks its backup', async () => {
    const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /group group1 installed, nginx reloaded \(verified by new worker pids/);
    const live = await readFile(rig.nginx.upstreamPath, 'utf8');
    assert.match(live, new RegExp(`server 127\\.0\\.0\\.1:${rig.ports.g1};`));
    assert.match(live, new RegExp(`server 127\\.0\\.0\\.1:${rig.ports['g1-backup']} backup;`));
    assert.doesNotMatch(live, new RegExp(`:${rig.ports.g2}\\b`));
    assert.match(live, /keepalive 1;/);
    assert.equal(await readFile(`${rig.nginx.upstreamPath}.last-good`, 'utf8'), 'upstream jetty {\n    server 127.0.0.1:1;\n}\n');
    const reply = await waitFor('nginx to serve group1', async () => {
      const g = await get(rig.nginx.url);
      return g.code === 200 ? g : undefined;
    });
    assert.equal(reply.body, 'v1\n');
  });

  test('rendering the same config again reloads nothing', async () => {
    const before = await childPids(rig.nginx.pid);
    const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /already renders group group1; nothing reloaded/);
    assert.deepEqual(newPids(before, await childPids(rig.nginx.pid)), []);
  });

  test('a reload that never happened (killed after the rename) is done by the next render', async () => {
    const live = await readFile(rig.nginx.upstreamPath, 'utf8');
    const before = await childPids(rig.nginx.pid);
    // The state a crash between the rename and the reload leaves: the marker, the live text new.
    await writeFile(`${rig.nginx.upstreamPath}.pending`, live);
    const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nginx reloaded \(verified by new worker pids/);
    assert.ok(newPids(before, await childPids(rig.nginx.pid)).length > 0, 'reloaded');
    await assert.rejects(stat(`${rig.nginx.upstreamPath}.pending`), { code: 'ENOENT' });
    assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), live);
    const again = await supha(['upstream', 'render', '--config', rig.cfgPath]);
    assert.match(again.stdout, /nothing reloaded/);
  });

  test('rollback with a corrupt last-switch.json: one line naming the file', async () => {
    const path = join(rig.stateDir, 'last-switch.json');
    await mkdir(rig.stateDir, { recursive: true });
    await writeFile(path, '{"from": "group2", "to":');
    try {
      const r = await supha(['rollback', '--config', rig.cfgPath]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.includes(`rollback refused: ${path} is not valid JSON`), r.stderr);
    } finally {
      await rm(path, { force: true });
    }
  });

  test('a candidate that fails nginx -t never goes live: the live file is never touched', async () => {
    const live = await readFile(rig.nginx.upstreamPath, 'utf8');
    const workers = await childPids(rig.nginx.pid);
    await rig.writeConfig((c) => {
      c.nginx.upstream['node-group'].group1.nodes.g1['upstream-url'] = BAD_URL;
    });
    // Watch the live file for the whole render: nginx.conf includes it by name, so the candidate
    // is tested through a copy of nginx.conf and never sits at the live path.
    let watching = true;
    const seen = new Set<string>();
    const watcher = (async () => {
      while (watching) {
        seen.add(await readFile(rig.nginx.upstreamPath, 'utf8').catch(() => '(missing)'));
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
      watching = false;
      await watcher;
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /nginx -t rejected the new upstream .*invalid IPv6 address/);
      assert.deepEqual([...seen], [live]);
      assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), live);
      assert.match(await readFile(`${rig.nginx.upstreamPath}.rejected`, 'utf8'), /\[::1::1\]:8080/);
      assert.deepEqual(newPids(workers, await childPids(rig.nginx.pid)), [], 'nginx was not reloaded');
      assert.equal((await get(rig.nginx.url)).body, 'v1\n');
    } finally {
      watching = false;
      await rig.writeConfig((c) => {
        c.nginx.upstream['node-group'].group1.nodes.g1['upstream-url'] = `127.0.0.1:${rig.ports.g1}`;
      });
    }
  });

  test('refuses a group with no healthy non-backup node unless --force, and marks dead nodes down', async () => {
    await rig.sv.client().stopProcess('g1');
    await supha(['nodes', 'check', '--config', rig.cfgPath]);
    await supha(['nodes', 'check', '--config', rig.cfgPath]);
    const live = await readFile(rig.nginx.upstreamPath, 'utf8');
    let r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /group group1 has no healthy non-backup node/);
    assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), live);
    r = await supha(['upstream', 'render', '--force', '--config', rig.cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await readFile(rig.nginx.upstreamPath, 'utf8'), new RegExp(`server 127\\.0\\.0\\.1:${rig.ports.g1} down;`));
    // The backup takes the traffic.
    assert.equal((await get(rig.nginx.url)).body, 'v1-backup\n');
  });

  test('nodes start brings the primary group up; stop-standby stops the standby', async () => {
    await rig.sv.client().startProcess('g2');
    const r = await supha(['nodes', 'start', '--config', rig.cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    // g1 is dead (stopped, failed twice): a counted restart.
    assert.match(r.stdout, /g1 +restarted: restart 1 of 3/);
    assert.match(r.stdout, /g1-backup +ok/);
    assert.equal((await rig.sv.client().getProcessInfo('g1')).statename, 'RUNNING');
    const health = JSON.parse(await readFile(join(rig.runtimeDir, 'node-health-status.json'), 'utf8'));
    assert.equal(health.g1['reboot-count'], 1);
    const s = await supha(['nodes', 'stop-standby', '--config', rig.cfgPath]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /g2 +stopped/);
    assert.equal((await rig.sv.client().getProcessInfo('g2')).statename, 'STOPPED');
  });
});

describe('upstream render when nginx.conf includes conf.d/*.conf', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ glob: true });
    await rig.startNodes('g1', 'g1-backup');
  });
  after(async () => rig?.stop());

  test('a failing candidate is tested through a copy of nginx.conf and never sits at the live path; a good one goes live', async () => {
    const live = await readFile(rig.nginx.upstreamPath, 'utf8');
    const workers = await childPids(rig.nginx.pid);
    await rig.writeConfig((c) => {
      c.nginx.upstream['node-group'].group1.nodes.g1['upstream-url'] = BAD_URL;
    });
    let watching = true;
    const seen = new Set<string>();
    const watcher = (async () => {
      while (watching) {
        seen.add(await readFile(rig.nginx.upstreamPath, 'utf8').catch(() => '(missing)'));
        await new Promise((res) => setImmediate(res));
      }
    })();
    let r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
    watching = false;
    await watcher;
    assert.deepEqual([...seen], [live], 'the live file never changed');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nginx -t rejected the new upstream .*invalid IPv6 address/);
    assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), live);
    assert.deepEqual(newPids(workers, await childPids(rig.nginx.pid)), [], 'nginx was not reloaded');
    // The candidate and the test mark are gone; nginx -t passes on what is live.
    const dir = rig.nginx.upstreamPath.slice(0, rig.nginx.upstreamPath.lastIndexOf('/'));
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.candidate') || f.endsWith('.testing') || f.endsWith('.pending')),
      [],
    );
    await rig.writeConfig((c) => {
      c.nginx.upstream['node-group'].group1.nodes.g1['upstream-url'] = `127.0.0.1:${rig.ports.g1}`;
      c.nginx.upstream.keepalive = 4;
    });
    r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await readFile(rig.nginx.upstreamPath, 'utf8'), /keepalive 4;/);
    assert.ok(newPids(workers, await childPids(rig.nginx.pid)).length > 0, 'reloaded');
  });
});

// The seed's layout: nginx built from source at nginx-home, its pid file in <nginx-home>/logs,
// the seed's config keys only (no nginx-test-cmd, pid-file or verify-url).
for (const pid of ['conf', 'builtin'] as const) {
  describe(`upstream render with the seed's nginx-home layout (pid ${pid === 'conf' ? 'in nginx.conf' : 'built in'})`, () => {
    let rig: Rig;
    before(async () => {
      rig = await startRig({ upstreamText: 'upstream jetty {\n    server 127.0.0.1:1;\n}\n', nginxHome: pid, nginxWorkers: 2 });
      await rig.startNodes('g1', 'g1-backup');
      await rig.writeConfig((c) => {
        c.nginx['nginx-home'] = rig.nginx.dir;
        delete c.nginx['nginx-test-cmd'];
        delete c.nginx['pid-file'];
        delete c.nginx.switch['verify-url'];
      });
    });
    after(async () => rig?.stop());

    test('render returns once new workers serve the new upstream', async () => {
      const before = await childPids(rig.nginx.pid);
      const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
      assert.equal(r.code, 0, r.stderr);
      // Sent right after it returns, on fresh connections: never an old worker's 502.
      const bodies = [];
      for (let i = 0; i < 5; i++) bodies.push((await get(rig.nginx.url)).body);
      assert.deepEqual(bodies, Array(5).fill('v1\n'));
      assert.match(r.stdout, new RegExp(`verified by new worker pids \\(master ${rig.nginx.pid}, ${rig.nginx.pidFile}\\)`));
      assert.ok(newPids(before, await childPids(rig.nginx.pid)).length > 0);
    });

    // Only where nginx -T names no pid file (else that one is used, and right).
    if (pid === 'builtin')
      test('no running nginx behind the pid files: render fails with one line and puts the last good file back', async () => {
        await rig.writeConfig((c) => {
          c.nginx['nginx-home'] = join(rig.nginx.dir, 'elsewhere');
          c.nginx['nginx-test-cmd'] = `${rig.nginx.dir}/sbin/nginx -t`;
          c.nginx['pid-file'] = join(rig.nginx.dir, 'logs', 'missing.pid');
          c.nginx.upstream.keepalive = 7;
        });
        const live = await readFile(rig.nginx.upstreamPath, 'utf8');
        try {
          const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
          assert.equal(r.code, 1, r.stdout);
          assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
          assert.match(r.stderr, /cannot verify the nginx reload: no running nginx master in .*elsewhere\/logs\/nginx\.pid or .*missing\.pid/);
          assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), live);
        } finally {
          await rig.writeConfig((c) => {
            c.nginx['nginx-home'] = rig.nginx.dir;
            delete c.nginx['nginx-test-cmd'];
            delete c.nginx['pid-file'];
            c.nginx.upstream.keepalive = 1;
          });
        }
      });
  });
}

describe("the seed's nginx-home (/usr/local/nginx) with a distro nginx", () => {
  const seed = join(ROOT, 'test/fixtures/seed-config.json');
  test('config check names the binary found on PATH, or the keys to set when there is none', async () => {
    const nginx = await supha(['config', 'check', '--config', seed]);
    assert.equal(nginx.code, 0, nginx.stderr);
    // scripts/setup.sh installs Debian's nginx (/usr/sbin/nginx); the seed keeps its reload command.
    assert.match(nginx.stdout, /nginx test: \/usr\/sbin\/nginx -t; reload: nginx -s reload/);
    const none = await supha(['config', 'check', '--config', seed], { PATH: '/nonexistent' });
    assert.equal(none.code, 2, none.stdout);
    assert.match(
      none.stderr,
      /^nginx: no nginx binary: not \/usr\/local\/nginx\/sbin\/nginx and not on PATH; set nginx\.nginx-home .* or nginx\.nginx-test-cmd/,
    );
  });
});
