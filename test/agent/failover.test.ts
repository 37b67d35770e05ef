import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { type HaPair, startHaPair, waitRunning } from '../helpers/hapair.js';
import { waitFor } from '../helpers/tmp.js';

const PROGRAMS = {
  web: { command: '/bin/sleep 100000', priority: 10 },
  worker: { command: '/bin/sleep 100000', priority: 20 },
  cron: { command: '/bin/sleep 100000', priority: 20 },
};
const N = Object.keys(PROGRAMS).length;

// Two hosts in network namespaces, each with a real supervisord, keepalived and agent.
describe('failover between two hosts', { timeout: 150_000 }, () => {
  let pair: HaPair;
  before(async () => {
    pair = await startHaPair({ programs: PROGRAMS });
  });
  after(async () => {
    await pair?.destroy();
  });
  const n1 = () => pair.nodes[0]!;
  const n2 = () => pair.nodes[1]!;

  test('the higher-priority host runs the set, the other none of it', async () => {
    await waitRunning(n1(), N, 'node1 to run the set');
    await waitRunning(n2(), 0, 'node2 to run none of it');
    await waitFor('node1 MASTER', async () => (await n1().agent!.status()).sets.app.role === 'MASTER');
    await waitFor('node2 BACKUP', async () => (await n2().agent!.status()).sets.app.role === 'BACKUP');
    // The listener forwards supervisord's events to the agent.
    await waitFor('process events in node1 status', async () => (await n1().agent!.status()).processEvents.length > 0);
  });

  test('cutting the master off moves the set; the cut-off host stops its copy', async () => {
    await pair.net.cut(n1().host);
    await waitRunning(n2(), N, 'node2 to take the set');
    await waitRunning(n1(), 0, 'node1 to stop its copy');
  });

  test('the master coming back takes the set back', async () => {
    await pair.net.restore(n1().host);
    await waitRunning(n1(), N, 'node1 to take the set back');
    await waitRunning(n2(), 0, 'node2 to stop');
  });

  test('SIGKILL of the master keepalived moves the set; the old master stops its copy', async () => {
    await n1().ka!.kill9();
    await waitRunning(n2(), N, 'node2 to take the set');
    await waitRunning(n1(), 0, 'node1 to stop its copy (keepalived dead, VIP left behind)');
    const st = await waitFor('node1 to record STOP', async () => {
      const x = await n1().agent!.status();
      return x.sets.app.role === 'STOP' && x;
    });
    assert.equal(st.keepalived.alive, false);
    assert.equal(st.sets.app.vipHere, true, 'keepalived left the VIP on node1');
  });

  test('a burst of 100 contradictory FIFO events ends in the newest role', async () => {
    const burst = (last: 'MASTER' | 'BACKUP') =>
      Array.from({ length: 100 }, (_, i) => `INSTANCE "VI_APP" ${(i % 2 === 0) === (last === 'MASTER') ? 'BACKUP' : 'MASTER'} 100\n`).join('');
    await writeFile(n2().fifo, burst('BACKUP'));
    await waitRunning(n2(), 0, 'node2 to follow the newest event (BACKUP)');
    let st = await n2().agent!.status();
    assert.equal(st.sets.app.desired, 'BACKUP');
    await waitFor('node2 to record BACKUP', async () => (await n2().agent!.status()).sets.app.role === 'BACKUP');
    await writeFile(n2().fifo, burst('MASTER'));
    await waitRunning(n2(), N, 'node2 to follow the newest event (MASTER)');
    st = await waitFor('node2 to record MASTER', async () => {
      const x = await n2().agent!.status();
      return x.sets.app.role === 'MASTER' && x;
    });
    assert.ok(st.reconcile.eventsIn >= 200);
    await waitRunning(n1(), 0, 'node1 still runs none');
  });

  test('keepalived restarted on node1: the agent reads its events again (the FIFO survived) and node1 takes the set back', async () => {
    await n1().startKeepalived();
    await waitRunning(n1(), N, 'node1 to take the set back');
    await waitRunning(n2(), 0, 'node2 to stop');
    await waitFor('node1 MASTER with keepalived alive', async () => {
      const st = await n1().agent!.status();
      return st.sets.app.role === 'MASTER' && st.keepalived.alive;
    });
  });
});
