import assert from 'node:assert/strict';
import { lstat, readFile, rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { supha } from '../helpers/cli.js';
import { type HaNode, type HaPair, startHaPair, waitRunning } from '../helpers/hapair.js';
import { waitFor } from '../helpers/tmp.js';

const PROGRAMS = {
  web: { command: '/bin/sleep 100000', priority: 10 },
  worker: { command: '/bin/sleep 100000', priority: 20 },
};
const N = Object.keys(PROGRAMS).length;
// The longest a handover may leave the set on both hosts: keepalived's detection (3 × 0.1 s) plus
// the agent's reaction (a pass per 500 ms, a stop of `sleep`), on a loaded 2-core machine.
const OVERLAP_MS = 3_000;

// keepalived's FIFO deleted under the agent, keepalived killed (SIGKILL, VIP left behind) and
// started again, and reloaded (SIGHUP, with and without a priority change), on two namespace hosts
// with a real keepalived, supervisord and agent each. After every fault the agents still act on
// keepalived's next events: the set moves with the VIP, never runs on both hosts beyond a
// handover, and no role stays stuck.
describe('keepalived restarted, reloaded, its FIFO deleted', { timeout: 240_000 }, () => {
  let pair: HaPair;
  const n1 = () => pair.nodes[0]!;
  const n2 = () => pair.nodes[1]!;
  // Samples both hosts every 50 ms: the longest stretch the set ran (in part) on both.
  let sampling = true;
  let sampler: Promise<void> | undefined;
  let both = 0;
  let longestBoth = 0;
  const sample = async () => {
    while (sampling) {
      const t = Date.now();
      const [a, b] = await Promise.all([n1().running(), n2().running()]).catch(() => [[], []]);
      if (a.length > 0 && b.length > 0) {
        both ||= t;
        longestBoth = Math.max(longestBoth, Date.now() - both);
      } else both = 0;
      await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - t))));
    }
  };
  const role = async (n: HaNode) => (await n.agent!.status()).sets.app.role;
  const settled = async (master: HaNode, backup: HaNode, what: string) => {
    await waitRunning(master, N, `${what}: the MASTER host to run the set`);
    await waitRunning(backup, 0, `${what}: the other host to run none of it`);
    await waitFor(`${what}: the agents' roles`, async () => (await role(master)) === 'MASTER' && (await role(backup)) !== 'MASTER', 20_000);
  };
  const ino = async (path: string) => {
    const st = await lstat(path);
    assert.ok(st.isFIFO(), `${path} is a FIFO`);
    return st.ino;
  };
  const pids = async (n: HaNode) =>
    (await n.sv.client().getAllProcessInfo())
      .filter((p) => p.name in PROGRAMS)
      .map((p) => `${p.name}:${p.pid}`)
      .sort();

  before(async () => {
    pair = await startHaPair({ programs: PROGRAMS });
    await settled(n1(), n2(), 'start');
    sampler = sample();
  });
  after(async () => {
    sampling = false;
    await sampler;
    await pair?.destroy();
  });

  test('the FIFO deleted under the BACKUP agent: a new one appears and the old pipe still carries keepalived MASTER', async () => {
    // Removed five times over (a cleanup job on /run): the agent used to drop all but the last
    // three old pipes, the one keepalived writes to among them (adversarial review).
    let fresh = await ino(n2().fifo);
    for (let i = 0; i < 5; i++) {
      const old = fresh;
      await rm(n2().fifo);
      fresh = await waitFor('the agent to make a new FIFO at the path', async () => (await ino(n2().fifo).catch(() => old)) !== old && ino(n2().fifo), 15_000);
      assert.notEqual(fresh, old);
    }
    // keepalived on node2 still writes to the pipe it opened: node1's keepalived dies, node2's
    // says MASTER into the deleted FIFO.
    await n1().ka!.kill9();
    await settled(n2(), n1(), 'node1 keepalived killed');
    // Heard (keepalived's MASTER event came through the old pipe), not guessed from the VIP.
    const st = await n2().agent!.status();
    assert.equal(st.sets.app.desired, 'MASTER', 'the MASTER event was heard');
    assert.equal(st.keepalived.deaf, undefined);
    assert.ok(longestBoth < OVERLAP_MS, `set ran on both hosts for ${longestBoth} ms`);
  });

  test('keepalived SIGKILLed and started again: it opens the new FIFO, and the agent follows it both ways', async () => {
    // node1's keepalived back: it preempts, node2's keepalived says BACKUP (still on the old pipe).
    await n1().startKeepalived();
    await settled(n1(), n2(), 'node1 keepalived started');
    // node2's keepalived killed and started: it opens the FIFO at the path, the agent's new one.
    await n2().ka!.kill9();
    await waitFor('node2 to record STOP (keepalived dead)', async () => (await role(n2())) === 'STOP');
    await n2().startKeepalived();
    await waitFor('node2 to hear BACKUP from the new keepalived', async () => {
      const st = await n2().agent!.status();
      return st.keepalived.alive && st.sets.app.desired === 'BACKUP' && st.sets.app.role === 'BACKUP';
    });
    await waitRunning(n2(), 0, 'node2 to run none');
    // Its MASTER comes through the new FIFO only.
    await n1().ka!.kill9();
    await settled(n2(), n1(), 'node1 keepalived killed again');
    await n1().startKeepalived();
    await settled(n1(), n2(), 'node1 keepalived back again');
    assert.ok(longestBoth < OVERLAP_MS, `set ran on both hosts for ${longestBoth} ms`);
  });

  test('keepalived reloaded (SIGHUP) with the same conf: nothing restarts, nothing moves', async () => {
    const before1 = await pids(n1());
    const passes = (await n1().agent!.status()).reconcile.passes;
    await n1().ka!.reload();
    await n2().ka!.reload();
    // A few passes after the reload: the agents saw whatever keepalived said (if anything).
    await waitFor('four more passes on node1', async () => (await n1().agent!.status()).reconcile.passes >= passes + 4, 15_000);
    await settled(n1(), n2(), 'after the reloads');
    assert.deepEqual(await pids(n1()), before1, 'node1 restarted none of its programs');
  });

  test('keepalived reloaded with a lower priority, its FIFO deleted just before: the set moves to node2 and back', async () => {
    const conf = await readFile(n1().ka!.confPath, 'utf8');
    const old = await ino(n1().fifo);
    // keepalived opens notify_fifo again on a reload: it creates a FIFO at the path itself if
    // the agent has not made one yet. Either way the agent must read the one keepalived writes.
    await rm(n1().fifo);
    await n1().ka!.reload(conf.replace(`priority ${n1().priority}`, 'priority 50'));
    await settled(n2(), n1(), 'node1 reloaded at priority 50');
    assert.notEqual(await ino(n1().fifo), old);
    await n1().ka!.reload(conf);
    await settled(n1(), n2(), 'node1 reloaded at its own priority');
    assert.ok(longestBoth < OVERLAP_MS, `set ran on both hosts for ${longestBoth} ms`);
    const st = await n1().agent!.status();
    assert.equal(st.keepalived.alive, true);
    assert.equal(st.sets.app.desired, 'MASTER');
  });

  test('a reload that drops the FIFO (notify_fifo before script_user): status says keepalived is not heard; a restart mends it', async () => {
    const conf = await readFile(n2().ka!.confPath, 'utf8');
    const fifoLine = `  notify_fifo ${n2().fifo}\n`;
    const bad = conf.replace(fifoLine, '').replace('  vrrp_version 3\n', `  vrrp_version 3\n${fifoLine}`);
    assert.ok(bad.indexOf('notify_fifo') < bad.indexOf('script_user'));
    await n2().ka!.reload(bad);
    const st = await waitFor(
      'node2 status to say keepalived is not heard',
      async () => {
        const x = await n2().agent!.status();
        return x.keepalived.deaf && x;
      },
      15_000,
    );
    assert.equal(st.keepalived.alive, true);
    assert.match(st.keepalived.deaf, /has no FIFO the agent reads .*ka\.fifo.* open: its state changes are not heard; restart keepalived/);
    const out = await supha(['--config', n2().cfgPath, 'status']);
    assert.match(out.stdout, /keepalived running but NOT HEARD/);
    assert.match(n2().agent!.logs(), /its state changes are not heard/);
    // Nothing acted on it: node1 still runs the set, node2 none.
    await settled(n1(), n2(), 'node2 deaf');
    // keepalived on node1 killed: node2's keepalived takes the VIP, unheard; its agent goes by
    // the VIP (adversarial review: it stayed BACKUP and healthy, and the set ran nowhere).
    await n1().ka!.kill9();
    await settled(n2(), n1(), 'node2 deaf, node1 keepalived dead');
    await n1().startKeepalived();
    await settled(n1(), n2(), 'node1 keepalived back');
    // keepalived started again (the helper writes the good conf) opens the FIFO: heard again.
    await n2().ka!.kill9();
    await n2().startKeepalived();
    await waitFor('node2 to hear keepalived again', async () => {
      const x = await n2().agent!.status();
      return x.keepalived.alive && x.keepalived.deaf === undefined && x.sets.app.desired === 'BACKUP';
    });
    await waitFor('the agent to log it', () => /keepalived writes to the FIFO again/.test(n2().agent!.logs())).catch((err: Error) => {
      throw new Error(
        `${err.message}; node2's agent:\n${n2()
          .agent!.logs()
          .split('\n')
          .filter((l) => /keepalived|fifo/i.test(l))
          .slice(-12)
          .join('\n')}`,
      );
    });
  });
});
