import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { childPids } from '../../src/nginx/index.js';
import { type Rig, spawnUntil, startRig } from '../helpers/bluegreen.js';
import { supha } from '../helpers/cli.js';
import { get } from '../helpers/load.js';
import { newPids } from '../helpers/nginx.js';
import { waitFor } from '../helpers/tmp.js';

const pexec = promisify(execFile);
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
// Passes the config's host:port check, and nginx -t rejects it while parsing.
const BAD_URL = '[::1::1]:8080';

// The rollback paths of an upstream install (README, docs/bluegreen.md): a reload that fails puts
// the last good file back and reloads again; a run killed while its candidate sat at the live
// path for a glob-mode nginx -t is repaired by the next run. Real nginx (conf.d/*.conf), real
// supervisord.
describe('upstream install rollback paths (real nginx, conf.d/*.conf)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ glob: true });
    await rig.startNodes('g1', 'g1-backup');
    const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => rig?.stop());

  const nginxT = () => pexec('sh', ['-c', `${rig.nginx.testCmd} 2>&1`]);

  test('a reload that fails: the last good upstream is put back and nginx reloaded with it', async () => {
    const good = await readFile(rig.nginx.upstreamPath, 'utf8');
    // Fails its first run, reloads for real after that.
    const flag = join(rig.stateDir, 'reload-failed-once');
    const script = join(rig.stateDir, 'reload-once-failing.sh');
    await writeFile(script, `#!/bin/sh\nif [ ! -e ${flag} ]; then : > ${flag}; echo "reload refused" >&2; exit 1; fi\nexec ${rig.nginx.reloadCmd}\n`, {
      mode: 0o755,
    });
    await rig.writeConfig((c) => {
      c.nginx['nginx-reload-cmd'] = script;
      c.nginx.upstream.keepalive = 5;
    });
    try {
      const workers = await childPids(rig.nginx.pid);
      const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /nginx reload: .*exit 1: reload refused; last good upstream put back, nginx reloaded with it/);
      assert.ok(await exists(flag), 'the failing reload ran');
      assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), good);
      assert.ok(newPids(workers, await childPids(rig.nginx.pid)).length > 0, 'reloaded again, with the last good file');
      assert.ok(!(await exists(`${rig.nginx.upstreamPath}.pending`)), 'nothing left pending');
      assert.equal((await get(rig.nginx.url)).body, 'v1\n');
    } finally {
      await rig.writeConfig((c) => {
        c.nginx['nginx-reload-cmd'] = rig.nginx.reloadCmd;
        c.nginx.upstream.keepalive = 1;
      });
    }
  });

  test('a run killed during a glob-mode nginx -t (candidate at the live path) is repaired by the next run', async () => {
    const good = await readFile(rig.nginx.upstreamPath, 'utf8');
    const mark = `${rig.nginx.upstreamPath}.testing`;
    // A test command that is not an nginx binary: the candidate is swapped in for the test. This
    // one says it is testing, then hangs (its -T and -V give nothing).
    const ready = join(rig.stateDir, 'testing-now');
    const script = join(rig.stateDir, 'hanging-test.sh');
    await writeFile(script, `#!/bin/sh\ncase "$1" in -t) echo $$ > ${ready}; exec sleep 1000;; *) exit 1;; esac\n`, { mode: 0o755 });
    await rig.writeConfig((c) => {
      c.nginx['nginx-test-cmd'] = `${script} -t`;
      c.nginx.upstream['node-group'].group1.nodes.g1['upstream-url'] = BAD_URL;
    });
    const run = spawnUntil(['upstream', 'render', '--config', rig.cfgPath], /$^/);
    run.seen.catch(() => {});
    const testPid = await waitFor('the candidate under test', async () => Number((await readFile(ready, 'utf8').catch(() => '')).trim()) || undefined, 20_000);
    run.child.kill('SIGKILL');
    await run.exited;
    process.kill(testPid, 'SIGKILL');
    // What the kill left: the bad candidate live, the mark saying so.
    assert.ok(await exists(mark), 'the .testing mark is there');
    assert.match(await readFile(rig.nginx.upstreamPath, 'utf8'), /\[::1::1\]/);
    await assert.rejects(nginxT(), 'the live upstream fails nginx -t now');

    // The next run, with the same bad config and a real nginx -t (a wrapper, as the seed's sbin/nginx):
    // the last good file is put back first, so the rejected candidate leaves it live.
    const wrapper = join(rig.stateDir, 'nginx-t.sh');
    await writeFile(wrapper, `#!/bin/sh\nexec ${rig.nginx.testCmd.replace(/ -t$/, '')} "$@"\n`, { mode: 0o755 });
    await rig.writeConfig((c) => {
      c.nginx['nginx-test-cmd'] = `${wrapper} -t`;
    });
    try {
      const r = await supha(['upstream', 'render', '--config', rig.cfgPath]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /nginx -t rejected the new upstream/);
      assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), good);
      assert.ok(!(await exists(mark)), 'the mark is gone');
      await nginxT();
      assert.equal((await get(rig.nginx.url)).body, 'v1\n');
    } finally {
      await rig.writeConfig((c) => {
        c.nginx['nginx-test-cmd'] = rig.nginx.testCmd;
        c.nginx.upstream['node-group'].group1.nodes.g1['upstream-url'] = `127.0.0.1:${rig.ports.g1}`;
      });
    }
  });
});
