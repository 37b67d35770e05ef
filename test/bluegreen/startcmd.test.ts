import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Rig, startRig } from '../helpers/bluegreen.js';
import { ROOT, supha } from '../helpers/cli.js';
import { get } from '../helpers/load.js';
import { waitFor } from '../helpers/tmp.js';

const JETTY = join(ROOT, 'test/fixtures/jetty-like.sh');
const G1 = ['g1', 'g1-backup'] as const;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// group1 is run by a start script that daemonizes like jetty.sh (its server keeps stdout and
// stderr open); group2 by supervisord.
describe('start-cmd nodes whose script daemonizes like jetty.sh', () => {
  let rig: Rig;
  const pidFile = (n: string) => join(rig.stateDir, `${n}.pid`);
  const useJetty = (delayMs: number) =>
    rig.writeConfig((c) => {
      for (const n of G1) {
        const node = c.nginx.upstream['node-group'].group1.nodes[n];
        delete node['supervisor-program'];
        node['start-cmd'] = `${JETTY} start ${pidFile(n)} ${rig.ports[n]} ${n === 'g1' ? 'v1' : 'v1-backup'} ${delayMs}`;
        node['stop-cmd'] = `${JETTY} stop ${pidFile(n)}`;
      }
      c.nginx.health['cmd-timeout-ms'] = 20_000;
      c.nginx.health['start-grace-ms'] = 30_000;
    });
  const killAll = async () => {
    for (const n of G1) {
      const pid = Number(await readFile(pidFile(n), 'utf8').catch(() => '0'));
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
      await rm(pidFile(n), { force: true });
    }
  };
  before(async () => {
    rig = await startRig({ upstreamText: 'upstream jetty {\n    server 127.0.0.1:1;\n}\n' });
  });
  after(async () => {
    if (!rig) return;
    await killAll();
    await rig.stop();
  });

  test('nodes start returns when the script does; a node still booting is not started twice', async () => {
    await useJetty(6_000);
    const cfg = ['--config', rig.cfgPath];
    const r = await supha(['nodes', 'start', ...cfg]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /g1 +started/);
    const pid = Number(await readFile(pidFile('g1'), 'utf8'));
    // It is still booting (6 s before it listens; a loaded host can take 2 s to start the second `supha`): a second start must not run jetty.sh start
    // again (that says "already running" and fails).
    const again = await supha(['nodes', 'start', ...cfg]);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.match(again.stdout, /g1 +booting/);
    await waitFor('g1 to answer', async () => (await get(`http://127.0.0.1:${rig.ports.g1}/`).catch(() => undefined))?.body === 'v1\n');
    assert.equal(Number(await readFile(pidFile('g1'), 'utf8')), pid, 'one server, started once');
    const up = await supha(['nodes', 'start', ...cfg]);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.match(up.stdout, /g1 +ok/);
  });

  test('a switch away stops the old group by its stop-cmd; a rollback starts it again', async () => {
    const cfg = ['--config', rig.cfgPath];
    await waitFor('g1-backup to answer', async () => (await get(`http://127.0.0.1:${rig.ports['g1-backup']}/`).catch(() => undefined)) !== undefined);
    const render = await supha(['upstream', 'render', ...cfg]);
    assert.equal(render.code, 0, render.stderr);
    const pid = Number(await readFile(pidFile('g1'), 'utf8'));
    const sw = await supha(['switch', ...cfg]);
    assert.equal(sw.code, 0, sw.stderr + sw.stdout);
    assert.equal((await get(rig.nginx.url)).body, 'v2\n');
    assert.ok(!alive(pid), 'stop-cmd stopped the daemon');
    const rb = await supha(['rollback', ...cfg]);
    assert.equal(rb.code, 0, rb.stderr + rb.stdout);
    assert.equal((await get(rig.nginx.url)).body, 'v1\n');
  });
});
