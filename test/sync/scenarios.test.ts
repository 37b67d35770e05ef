import assert from 'node:assert/strict';
import { access, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { programConf } from '../helpers/supervisord.js';
import { createMutualPair, type MutualNode, type MutualPair, type SetName, waitPreferred } from '../helpers/sync-mutual.js';
import { waitFor } from '../helpers/tmp.js';

// The four ways to lose confs (issue 10), on two namespace hosts with real keepalived
// (two VRRP instances, preemption on), rsync daemons and agents.
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const conf = (name: string) => programConf(name, { command: '/bin/sleep 100000' });
const T = 40_000;

// Every place a conf can be kept on a node: the set's folder and its kept history.
async function whereIs(pair: MutualPair, set: SetName, file: string): Promise<string[]> {
  const found: string[] = [];
  for (const n of pair.nodes) {
    if (await exists(join(n.registry(set), file))) found.push(`${n.name}:${set}`);
    const hist = join(n.registry(set), '.supha-history');
    for (const stamp of await readdir(hist).catch(() => [] as string[])) {
      if (await exists(join(hist, stamp, file))) found.push(`${n.name}:${set}:history/${stamp}`);
    }
  }
  return found;
}

async function assertKept(pair: MutualPair, set: SetName, files: string[]): Promise<void> {
  for (const f of files) assert.notDeepEqual(await whereIs(pair, set, f), [], `${set}/${f} is in no registry, replica or history`);
}

async function runningOnce(pair: MutualPair, program: string, on: MutualNode): Promise<void> {
  await waitFor(
    `${program} running on ${on.name} only`,
    async () => {
      const here = (await on.running()).includes(program);
      const other = pair.nodes.find((n) => n !== on);
      return here && !(await other?.running())?.includes(program);
    },
    T,
  );
}

const peerOf = async (n: MutualNode, set: SetName) => {
  const r = await n.sync('status', '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).sets[set].peers[0];
};

for (const first of [0, 1] as const) {
  describe(`mutual standby start-up, node${first + 1} first`, { timeout: 180_000 }, () => {
    let pair: MutualPair;
    before(async () => {
      pair = await createMutualPair();
    });
    after(async () => {
      await pair?.destroy();
    });

    test("the host that starts first is briefly MASTER of its peer's set too, and wipes nothing", async () => {
      const [n1, n2] = pair.nodes;
      await writeFile(join(n1.registry('east'), 'e1.conf'), conf('e1'));
      await writeFile(join(n2.registry('west'), 'w1.conf'), conf('w1'));
      const early = pair.nodes[first];
      const late = pair.nodes[1 - first] as MutualNode;
      const lateSet: SetName = late === n1 ? 'east' : 'west';
      await early.up();
      await waitFor(`${early.name} MASTER of ${lateSet}`, async () => (await early.role(lateSet)) === 'MASTER', T);
      // It has tried its push of the set it holds an empty copy of.
      await waitFor(`${early.name} to have pushed ${lateSet}`, async () => (await peerOf(early, lateSet)).lastPush !== null, T);
      await late.up();
      await waitPreferred(pair, T);
      await runningOnce(pair, 'e1', n1);
      await runningOnce(pair, 'w1', n2);
      await waitFor(
        'e1.conf on node2, w1.conf on node1',
        async () => (await exists(join(n2.registry('east'), 'e1.conf'))) && exists(join(n1.registry('west'), 'w1.conf')),
        T,
      );
      assert.ok(await exists(join(n2.registry('west'), 'w1.conf')), 'w1.conf still in its registry');
      assert.ok(await exists(join(n1.registry('east'), 'e1.conf')), 'e1.conf still in its registry');
    });

    if (first === 1) return;

    test('paused, then failover: the new MASTER does not push over the changes it never saw', async () => {
      const [n1, n2] = pair.nodes;
      const paused = await n1.sync('pause', '--set', 'east');
      assert.equal(paused.code, 0, paused.stderr);
      await writeFile(join(n1.registry('east'), 'e2.conf'), conf('e2'));
      await runningOnce(pair, 'e2', n1);
      await n1.ka?.stop();
      n1.ka = undefined;
      await waitFor('node2 MASTER of east', async () => (await n2.role('east')) === 'MASTER', T);
      await runningOnce(pair, 'e1', n2);
      // node2's push to node1 has been decided (refused, or done).
      await waitFor(
        'node2 to decide its push of east',
        async () => {
          const p = await peerOf(n2, 'east');
          return p.state === 'refused' || (p.lastPush?.ok && Date.parse(p.lastPush.at) > 0 && p.state === 'in-sync');
        },
        T,
      );
      await assertKept(pair, 'east', ['e1.conf', 'e2.conf']);
      const p = await peerOf(n2, 'east');
      assert.equal(p.state, 'refused');
      assert.match(p.refused.reason, /node1 has a newer registry of east/);
      assert.ok(await exists(join(n1.registry('east'), 'e2.conf')), 'e2.conf still in node1 registry');

      // The operator settles it on the new MASTER: one line, audited; e2 then runs there.
      const diff = await n2.sync('diff', 'east');
      assert.equal(diff.code, 0, diff.stderr);
      assert.match(diff.stdout, /only on node1: e2\.conf/);
      const adopt = await n2.sync('adopt', 'east', '--from', 'node1');
      assert.equal(adopt.code, 0, adopt.stderr);
      assert.match(adopt.stdout, /^adopted east from node1: generation \d+/);
      await runningOnce(pair, 'e2', n2);
      await waitFor('node2 in sync with node1 for east', async () => (await peerOf(n2, 'east')).state === 'in-sync', T);
      // Back to normal: node1's keepalived returns and preempts east.
      assert.equal((await n1.sync('resume', '--set', 'east')).code, 0);
      await n1.startKeepalived();
      await waitPreferred(pair, T);
      await runningOnce(pair, 'e2', n1);
      await runningOnce(pair, 'e1', n1);
    });

    test("fail-back with preemption: the returning MASTER does not undo the survivor's changes", async () => {
      const [n1, n2] = pair.nodes;
      await pair.net.cut(n1.host);
      try {
        await waitFor('node2 MASTER of east', async () => (await n2.role('east')) === 'MASTER', T);
        await writeFile(join(n2.registry('east'), 'e3.conf'), conf('e3'));
        await waitFor('e3 running on node2', async () => (await n2.running()).includes('e3'), T);
        // The survivor's catch-up push waits out its backoff.
        await waitFor('node2 retrying node1', async () => (await peerOf(n2, 'east')).failures >= 2, T);
      } finally {
        await pair.net.restore(n1.host);
      }
      await waitPreferred(pair, T);
      await waitFor(
        'node1 to decide its push of east',
        async () => {
          const p = await peerOf(n1, 'east');
          return p.state === 'refused' || (p.state === 'in-sync' && p.lastPush?.ok);
        },
        T,
      );
      await assertKept(pair, 'east', ['e1.conf', 'e2.conf', 'e3.conf']);
      assert.ok(await exists(join(n2.registry('east'), 'e3.conf')), 'e3.conf still on node2');
      assert.equal((await peerOf(n1, 'east')).state, 'refused');

      const adopt = await n1.sync('adopt', 'east', '--from', 'node2');
      assert.equal(adopt.code, 0, adopt.stderr);
      await runningOnce(pair, 'e3', n1);
      await runningOnce(pair, 'w1', n2);
    });

    test('a reinstalled host (empty registry, then no registry folder at all) never empties its peer', async () => {
      const [n1, n2] = pair.nodes;
      for (const how of ['empty', 'missing'] as const) {
        await n2.down();
        const reg = n2.registry('west');
        if (how === 'empty') for (const f of await readdir(reg)) await rm(join(reg, f), { recursive: true, force: true });
        else await rm(reg, { recursive: true, force: true });
        await n2.up();
        await waitPreferred(pair, T);
        const p = await waitFor(
          `node2 (${how}) to decide its push of west`,
          async () => {
            const p = await peerOf(n2, 'west');
            return (p.state === 'refused' || (p.state === 'in-sync' && p.lastPush?.ok)) && p;
          },
          T,
        );
        assert.equal(p.state, 'refused', `${how}: push refused`);
        assert.match(p.refused.reason, /empty and was never replicated here/);
        assert.ok(await exists(join(n1.registry('west'), 'w1.conf')), `${how}: w1.conf still on node1`);
        const adopt = await n2.sync('adopt', 'west', '--from', 'node1');
        assert.equal(adopt.code, 0, adopt.stderr);
        await runningOnce(pair, 'w1', n2);
      }
      await assertKept(pair, 'east', ['e1.conf', 'e2.conf', 'e3.conf']);
      await assertKept(pair, 'west', ['w1.conf']);
      await runningOnce(pair, 'e1', n1);
    });

    test('an unsigned conf dropped into a BACKUP replica is not laundered by a failover: quarantined until restored', async () => {
      const [n1, n2] = pair.nodes;
      // Someone with write access to node2's rsync module drops a conf into its replica of east.
      await writeFile(join(n2.registry('east'), 'evil.conf'), conf('evil'));
      await waitFor(
        'evil refused on the BACKUP',
        async () => JSON.parse((await n2.sync('status', '--json')).stdout).sets.east.rejected.some((r: { group: string }) => r.group === 'evil'),
        T,
      );
      await n1.ka?.stop();
      n1.ka = undefined;
      await waitFor('node2 MASTER of east', async () => (await n2.role('east')) === 'MASTER', T);
      await runningOnce(pair, 'e1', n2);
      await waitFor('node2 in sync with node1 for east', async () => (await peerOf(n2, 'east')).state === 'in-sync', T);
      assert.equal((await n2.running()).includes('evil'), false, 'evil not run by the new MASTER');
      assert.equal(await exists(join(n2.registry('east'), 'evil.conf')), false, 'moved out of the registry');
      assert.equal(await exists(join(n1.registry('east'), 'evil.conf')), false, 'not pushed to node1');
      const where = await whereIs(pair, 'east', 'evil.conf');
      assert.equal(where.length, 1, where.join(' '));
      assert.match(where[0] ?? '', /^node2:east:history\/.*-quarantine-node2$/);
      const st = JSON.parse((await n2.sync('status', '--json')).stdout).sets.east;
      assert.equal(st.quarantined.length, 1, JSON.stringify(st.quarantined));
      assert.equal(st.quarantined[0].file, 'evil.conf');

      // The operator's adopt: restore it on the MASTER, where it is then a local write (signed, pushed).
      const restore = await n2.sync('restore', 'east', st.quarantined[0].id);
      assert.equal(restore.code, 0, restore.stderr);
      await waitFor('evil.conf pushed to node1', () => exists(join(n1.registry('east'), 'evil.conf')), T);
      await waitFor('evil running on node2', async () => (await n2.running()).includes('evil'), T);
      await waitFor('no quarantine alarm', async () => JSON.parse((await n2.sync('status', '--json')).stdout).sets.east.quarantined.length === 0, T);
    });
  });
}
