import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { programConf } from '../helpers/supervisord.js';
import { supzcli } from '../helpers/supzcli.js';
import { type SyncNode, type SyncPair, startSyncPair } from '../helpers/sync-pair.js';
import { waitFor } from '../helpers/tmp.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const conf = (name: string) => programConf(name, { command: '/bin/sleep 100000' });
async function stateOf(n: SyncNode, program: string): Promise<string | undefined> {
  return (await n.sv.client().getAllProcessInfo()).find((i) => i.name === program)?.statename;
}
const peer = async (n: SyncNode) => (await n.syncStatus()).peers[0];

// Two namespace hosts, each with a real supervisord, rsync daemon, keepalived and agent; roles
// set with `supha notify` as keepalived's notify script would.
describe('registry replication between two hosts', { timeout: 180_000 }, () => {
  let pair: SyncPair;
  const n1 = () => pair.nodes[0]!;
  const n2 = () => pair.nodes[1]!;
  before(async () => {
    pair = await startSyncPair();
    await writeFile(join(n1().registry, 'billing.conf'), conf('billing'));
    await n1().setRole('MASTER');
    await n2().setRole('BACKUP');
  });
  after(async () => {
    await pair?.destroy();
  });

  test('the initial registry reaches the peer and is loaded there, not started', async () => {
    await waitFor('billing.conf on node2', () => exists(join(n2().registry, 'billing.conf')), 20_000);
    assert.equal(await waitFor('billing loaded on node2', () => stateOf(n2(), 'billing'), 20_000), 'STOPPED');
    await waitFor('billing running on node1', async () => (await stateOf(n1(), 'billing')) === 'RUNNING', 20_000);
    await waitFor('node1 shows node2 in sync', async () => (await peer(n1())).state === 'in-sync', 20_000);
    const text = await n1().sync('status');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^SET\s+PEER\s+ROLE\s+STATE/m);
    assert.match(text.stdout, /^apps\s+node2\s+MASTER\s+in-sync\s/m);
    assert.equal(await stateOf(n2(), 'billing'), 'STOPPED');
  });

  test('adds and supzcli stop removals on the MASTER reach the peer', async () => {
    await writeFile(join(n1().registry, 'mailer.conf'), conf('mailer'));
    assert.equal(await waitFor('mailer loaded on node2', () => stateOf(n2(), 'mailer'), 20_000), 'STOPPED');
    await waitFor('mailer running on node1', async () => (await stateOf(n1(), 'mailer')) === 'RUNNING', 20_000);
    // The real supzcli on the MASTER: stop, remove, park (the agent leaves mailer alone meanwhile).
    const r = await supzcli(['--config', n1().cfgPath, 'stop', 'mailer']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await exists(join(n1().registry, 'mailer.conf')), false);
    await waitFor(
      'mailer gone from node2',
      async () => !(await exists(join(n2().registry, 'mailer.conf'))) && (await stateOf(n2(), 'mailer')) === undefined,
      20_000,
    );
    await waitFor('mailer stopped and removed on node1', async () => (await stateOf(n1(), 'mailer')) === undefined, 20_000);
  });

  test("a BACKUP's local change never reaches the MASTER", async () => {
    await writeFile(join(n2().registry, 'rogue.conf'), conf('rogue'));
    // No manifest signed with the peers' token lists it: the BACKUP refuses to load it at all.
    const refused = await waitFor(
      'rogue refused on node2',
      async () => (await n2().syncStatus()).rejected?.find((r: { group: string }) => r.group === 'rogue'),
      20_000,
    );
    assert.match(refused.reason, /manifest/);
    assert.equal(await stateOf(n2(), 'rogue'), undefined);
    const p = await peer(n2());
    assert.equal(p.state, 'not-master');
    assert.equal(p.lastPush, null, 'node2 never pushed');
    assert.equal(await exists(join(n1().registry, 'rogue.conf')), false);
    assert.equal(await stateOf(n1(), 'rogue'), undefined);
    // The MASTER's next push puts the replica back in step.
    await writeFile(join(n1().registry, 'reports.conf'), conf('reports'));
    await waitFor('rogue removed from node2', async () => !(await exists(join(n2().registry, 'rogue.conf'))), 20_000);
  });

  test('a peer cut off is retried and catches up when it comes back', async () => {
    await pair.net.cut(n2().host);
    try {
      await writeFile(join(n1().registry, 'offline.conf'), conf('offline'));
      const down = await waitFor(
        'node1 to retry node2',
        async () => {
          const p = await peer(n1());
          return p.state !== 'in-sync' && p.failures >= 1 && p.lastError !== null && p;
        },
        30_000,
      );
      assert.match(down.lastError.message, /rsync (exit \d+|to \S+: timed out)/);
      assert.ok(down.lagMs > 0);
      assert.equal(await exists(join(n2().registry, 'offline.conf')), false);
    } finally {
      await pair.net.restore(n2().host);
    }
    await waitFor('offline.conf on node2', () => exists(join(n2().registry, 'offline.conf')), 30_000);
    await waitFor('offline loaded on node2', () => stateOf(n2(), 'offline'), 20_000);
    await waitFor('node2 in sync again', async () => (await peer(n1())).state === 'in-sync', 20_000);
  });

  test('pause holds changes, also across an agent restart; resume pushes them', async () => {
    const paused = await n1().sync('pause');
    assert.equal(paused.code, 0, paused.stderr);
    await writeFile(join(n1().registry, 'held.conf'), conf('held'));
    await waitFor('the change to wait', async () => {
      const p = await peer(n1());
      return p.state === 'paused' && p.lagMs > 0;
    });
    assert.equal(await exists(join(n2().registry, 'held.conf')), false);

    await n1().agent?.stop();
    await n1().startAgent();
    await n1().setRole('MASTER');
    const st = await n1().syncStatus();
    assert.equal(st.paused, true, 'still paused after the restart');
    await waitFor('node1 MASTER again', async () => (await n1().syncStatus()).role === 'MASTER', 20_000);
    assert.equal(await exists(join(n2().registry, 'held.conf')), false);

    const resumed = await n1().sync('resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    await waitFor('held.conf on node2 after resume', () => exists(join(n2().registry, 'held.conf')), 20_000);
  });

  test('split brain: both claim MASTER, so neither pushes until one yields', async () => {
    await n2().setRole('MASTER');
    await waitFor('node2 acting as MASTER', async () => (await n2().syncStatus()).role === 'MASTER', 20_000);
    await writeFile(join(n1().registry, 'contested.conf'), conf('contested'));
    const sb = await waitFor('node1 to refuse', async () => {
      const p = await peer(n1());
      return p.state === 'split-brain' && p;
    });
    assert.equal(sb.splitBrain.peerNode, 'node2');
    assert.match(sb.lastError.message, /split brain/);
    await waitFor('node2 to refuse too', async () => (await peer(n2())).state === 'split-brain');
    assert.equal(await exists(join(n2().registry, 'contested.conf')), false);
    assert.match(n1().agent?.logs() ?? '', /SPLIT BRAIN/);
    assert.match((await n1().sync('status')).stdout, /SPLIT BRAIN: apps: peer node2 also claims MASTER/);

    await n2().setRole('BACKUP');
    await waitFor('contested.conf on node2 once it yields', () => exists(join(n2().registry, 'contested.conf')), 20_000);
    await waitFor('node1 in sync', async () => (await peer(n1())).splitBrain === null);
  });
});
