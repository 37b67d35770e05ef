import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AgentContext } from '../../src/agent/module.js';
import { createHealthModule } from '../../src/bluegreen/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/util/log.js';
import { type Rig, spawnUntil, startRig } from '../helpers/bluegreen.js';
import { supha } from '../helpers/cli.js';
import { waitFor } from '../helpers/tmp.js';

const health = async (r: Rig) => JSON.parse(await readFile(join(r.runtimeDir, 'node-health-status.json'), 'utf8'));

describe('bounded restarts of dead primary nodes', () => {
  let rig: Rig;
  before(async () => {
    // g1 answers 503 for ever: every restart leaves it dead again.
    rig = await startRig({
      g1: { version: 'v1', mode: 'sick' },
      health: { 'fail-threshold': 1, 'max-restarts': 2, 'restart-backoff-ms': 600_000, 'start-grace-ms': 0 },
    });
    await rig.sv.client().startProcess('g1-backup');
  });
  after(async () => rig?.stop());

  test('a dead node is restarted, then waits out the backoff, then is left dead at max-restarts', async () => {
    const cfg = ['--config', rig.cfgPath];
    await rig.sv.client().startProcess('g1');
    await waitFor('g1 to answer 503', async () => {
      await supha(['nodes', 'check', ...cfg]);
      return (await health(rig)).g1['last-response-code'] === 503;
    });
    assert.equal((await health(rig)).g1.status, 'dead');
    const pid1 = (await rig.sv.client().getProcessInfo('g1')).pid;
    let r = await supha(['nodes', 'start', ...cfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /g1 +restarted: restart 1 of 2/);
    const info = await rig.sv.client().getProcessInfo('g1');
    assert.equal(info.statename, 'RUNNING');
    assert.notEqual(info.pid, pid1, 'a new process');
    let h = await health(rig);
    assert.equal(h.g1['reboot-count'], 1);
    assert.equal(h.g1.status, 'n/a', 'fail-threshold checks again before it is dead again');

    await waitFor('g1 dead again', async () => {
      await supha(['nodes', 'check', ...cfg]);
      return (await health(rig)).g1.status === 'dead';
    });
    r = await supha(['nodes', 'start', ...cfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /g1 +waiting: next restart in \d+s/);
    assert.equal((await rig.sv.client().getProcessInfo('g1')).pid, info.pid, 'not restarted during the backoff');

    await rig.writeConfig((c) => {
      c.nginx.health['restart-backoff-ms'] = 0;
    });
    r = await supha(['nodes', 'start', ...cfg]);
    assert.match(r.stdout, /g1 +restarted: restart 2 of 2/);
    await waitFor('g1 dead again', async () => {
      await supha(['nodes', 'check', ...cfg]);
      return (await health(rig)).g1.status === 'dead';
    });
    const pid3 = (await rig.sv.client().getProcessInfo('g1')).pid;
    r = await supha(['nodes', 'start', ...cfg]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /g1 +gave-up: 2 restarts used \(max-restarts 2\)/);
    assert.equal((await rig.sv.client().getProcessInfo('g1')).pid, pid3);
    h = await health(rig);
    assert.equal(h.g1['reboot-count'], 2);
  });
});

describe('the agent module', () => {
  let rig: Rig;
  before(async () => {
    // Checks faster than a node boots: start-grace-ms keeps the agent from restarting it again.
    rig = await startRig({ health: { 'interval-ms': 150, 'fail-threshold': 2, 'restart-backoff-ms': 0, 'start-grace-ms': 20_000 } });
    await rig.startNodes('g1', 'g1-backup');
  });
  after(async () => rig?.stop());

  test('checks on an interval, restarts a dead primary node, never switches', async () => {
    const cfg = await loadConfig(rig.cfgPath);
    const stop = new AbortController();
    const ctx: AgentContext = {
      cfg,
      log: silentLogger,
      client: rig.sv.client(),
      signal: stop.signal,
      roleOf: () => 'MASTER',
      onRoleChange: () => {},
      registryChanged: () => Promise.reject(new Error('no service sets here')),
    };
    const mod = createHealthModule();
    await mod.start(ctx);
    try {
      await waitFor('a round with g1 running', async () => (await health(rig).catch(() => ({}))).g1?.status === 'running');
      const pid = (await rig.sv.client().getProcessInfo('g1')).pid;
      await rig.sv.client().stopProcess('g1');
      await waitFor('the agent to restart g1', async () => {
        const info = await rig.sv.client().getProcessInfo('g1');
        return info.statename === 'RUNNING' && info.pid !== pid;
      });
      await waitFor('g1 running again', async () => (await health(rig)).g1.status === 'running');
      assert.equal((await health(rig)).g1['reboot-count'], 1);
      // group2 is stopped and dead, but standby: never started, no switch.
      assert.equal((await health(rig)).g2.status, 'dead');
      assert.equal((await rig.sv.client().getProcessInfo('g2')).statename, 'STOPPED');
      const st = mod.status() as { enabled: boolean; primary: string; nodes: Record<string, string> };
      assert.equal(st.enabled, true);
      assert.equal(st.primary, 'group1');
      assert.equal(st.nodes.g2, 'dead');
    } finally {
      stop.abort();
      await mod.stop();
    }
  });
});

describe('agent start after a killed switch', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ g2: { version: 'v2', delayMs: 3_000 } });
    await rig.startNodes('g1', 'g1-backup');
  });
  after(async () => rig?.stop());

  test('rolls the switch back before its first round', async () => {
    const live = await readFile(rig.nginx.upstreamPath, 'utf8');
    const run = spawnUntil(['switch', '--config', rig.cfgPath], /health gate/);
    await run.seen;
    run.child.kill('SIGKILL');
    await run.exited;
    assert.equal((await rig.sv.client().getProcessInfo('g2')).statename, 'RUNNING');
    const stop = new AbortController();
    const ctx: AgentContext = {
      cfg: await loadConfig(rig.cfgPath),
      log: silentLogger,
      client: rig.sv.client(),
      signal: stop.signal,
      roleOf: () => 'MASTER',
      onRoleChange: () => {},
      registryChanged: () => Promise.reject(new Error('no service sets here')),
    };
    const mod = createHealthModule();
    await mod.start(ctx);
    try {
      // start() returns after the recovery.
      assert.equal((await rig.sv.client().getProcessInfo('g2')).statename, 'STOPPED');
      assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), live);
      const roles = JSON.parse(await readFile(join(rig.runtimeDir, 'node-group-status.json'), 'utf8'));
      assert.equal(roles.primary['group-name'], 'group1');
      await assert.rejects(readFile(join(rig.stateDir, 'switch-journal.json')));
    } finally {
      stop.abort();
      await mod.stop();
    }
  });
});
