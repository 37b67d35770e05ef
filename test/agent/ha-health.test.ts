import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { supha } from '../helpers/cli.js';
import { type HaNode, type HaPair, startHaPair, waitRunning } from '../helpers/hapair.js';
import { waitFor } from '../helpers/tmp.js';

const PROGRAMS = {
  web: { command: '/bin/sleep 100000', priority: 10 },
  worker: { command: '/bin/sleep 100000', priority: 20 },
};
const N = Object.keys(PROGRAMS).length;

const check = (n: HaNode) => supha(['--config', n.cfgPath, 'check', 'app']);
const track = async (n: HaNode) => (await readFile(join(n.dir, 'state', 'track', 'app'), 'utf8').catch(() => '')).trim();

// Two hosts in network namespaces with real supervisord, keepalived and agents.
describe('health and keepalived on real parts', { timeout: 200_000 }, () => {
  let pair: HaPair;
  before(async () => {
    pair = await startHaPair({ programs: PROGRAMS });
  });
  after(async () => {
    await pair?.destroy();
  });
  const n1 = () => pair.nodes[0]!;
  const n2 = () => pair.nodes[1]!;

  test('defect 1: check exits 1 (track file 1) while supervisord is down on the node keepalived made MASTER; 0 once it is up and the set runs', async () => {
    await waitRunning(n1(), N, 'node1 to run the set');
    await waitFor('node1 healthy', async () => {
      const r = await check(n1());
      if (r.code !== 0) throw new Error(r.stdout + r.stderr);
      return (await track(n1())) === '0';
    });
    await n1().restartSupervisord(async () => {
      const r = await check(n1());
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /unhealthy: MASTER: supervisord/);
      await waitFor('track file 1 on node1', async () => (await track(n1())) === '1');
      assert.equal((await check(n2())).code, 0, 'the BACKUP is healthy');
    });
    await waitRunning(n1(), N, 'node1 to run the set again');
    await waitFor('node1 healthy again', async () => (await check(n1())).code === 0 && (await track(n1())) === '0', 20_000);
  });

  test('defect 8: the FIFO path removed under a running keepalived: its events still arrive (the old pipe is still read)', async () => {
    await rm(n2().fifo);
    await waitFor('node2 to open a new FIFO', () => /fifo: path changed or missing/.test(n2().agent!.logs()));
    await pair.net.cut(n1().host);
    await waitRunning(n2(), N, 'node2 to take the set on keepalived event');
    await pair.net.restore(n1().host);
    await waitRunning(n1(), N, 'node1 to take the set back');
    await waitRunning(n2(), 0, 'node2 to stop');
  });

  test('defect 7: a keepalived pid file naming a live process that is not keepalived (PID reused) is keepalived down', async () => {
    const other = spawn('/bin/sleep', ['100000'], { stdio: 'ignore' });
    try {
      // The file names another program first, then keepalived dies (as after a PID reuse).
      await writeFile(n1().ka!.pidFile, `${other.pid}\n`);
      await n1().ka!.kill9();
      await waitRunning(n2(), N, 'node2 to take the set');
      await waitRunning(n1(), 0, 'node1 to stop its copy');
      const st = await n1().agent!.status();
      assert.equal(st.keepalived.alive, false);
      assert.match(st.keepalived.why, /is not keepalived \(sleep\)/);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
