import assert from 'node:assert/strict';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { listHistory, type PeerStatus, type SyncModule } from '../../src/sync/index.js';
import { supha } from '../helpers/cli.js';
import { programConf } from '../helpers/supervisord.js';
import { type SyncHost, startSyncHost } from '../helpers/sync-host.js';
import { waitFor } from '../helpers/tmp.js';

// Two loopback hosts, each a real supervisord and rsync daemon; roles set by the test.
let a: SyncHost;
let b: SyncHost;

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const conf = (name: string, autostart = false) => programConf(name, { command: '/bin/sleep 1000', autostart });
const peerOf = (m: SyncModule | undefined): PeerStatus => {
  const p = m?.status().sets.apps?.peers[0];
  assert.ok(p, 'a peer status');
  return p;
};
async function stateOf(host: SyncHost, program: string): Promise<string | undefined> {
  const infos = await host.sv.client().getAllProcessInfo();
  return infos.find((i) => i.name === program)?.statename;
}

before(async () => {
  [a, b] = await Promise.all([startSyncHost('hosta'), startSyncHost('hostb')]);
  await writeFile(join(a.registry, 'billing.conf'), conf('billing'));
  a.roles.set('apps', 'MASTER');
  await a.startModule([b]);
  await b.startModule([a]);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('the initial registry reaches the peer and is loaded there, not started', async () => {
  await waitFor('billing.conf on the peer', () => exists(join(b.registry, 'billing.conf')));
  assert.equal(await waitFor('billing loaded on the peer', () => stateOf(b, 'billing')), 'STOPPED');
  assert.equal(await waitFor('billing started on the MASTER', async () => (await stateOf(a, 'billing')) === 'RUNNING' && 'RUNNING'), 'RUNNING');
  await waitFor('the peer in sync', () => peerOf(a.module).state === 'in-sync');
  assert.ok(peerOf(a.module).lastSuccessAt);
});

test('an add and a removal on the MASTER reach the peer; the MASTER starts and stops them', async () => {
  await writeFile(join(a.registry, 'mailer.conf'), conf('mailer'));
  assert.equal(await waitFor('mailer loaded on the peer', () => stateOf(b, 'mailer')), 'STOPPED');
  await waitFor('mailer running on the MASTER', async () => (await stateOf(a, 'mailer')) === 'RUNNING');

  // supzcli stop's effect on the registry: the conf leaves it.
  await rm(join(a.registry, 'mailer.conf'));
  await waitFor('mailer gone from the peer', async () => !(await exists(join(b.registry, 'mailer.conf'))) && (await stateOf(b, 'mailer')) === undefined);
  await waitFor('mailer stopped and removed on the MASTER', async () => (await stateOf(a, 'mailer')) === undefined);
  assert.equal(await stateOf(b, 'billing'), 'STOPPED', 'the peer started nothing');
});

test("a BACKUP's local change never reaches the MASTER, is not loaded there, and is kept when the push removes it", async () => {
  await writeFile(join(b.registry, 'rogue.conf'), conf('rogue'));
  // The BACKUP loads only confs a peer holding the token sent ...
  const refused = await waitFor('rogue refused on the BACKUP', () => b.module?.status().sets.apps?.rejected.find((r) => r.group === 'rogue'));
  assert.match(refused.reason, /manifest that verifies/);
  assert.equal(await stateOf(b, 'rogue'), undefined);
  await b.module?.idle();
  // ... and pushes nothing: it is not MASTER.
  assert.equal(peerOf(b.module).state, 'not-master');
  assert.equal(peerOf(b.module).lastPush, null);
  assert.equal(await exists(join(a.registry, 'rogue.conf')), false);
  // The next push from the MASTER puts the peer's replica back in step; the BACKUP keeps rogue.
  await writeFile(join(a.registry, 'reports.conf'), conf('reports'));
  await waitFor('rogue removed from the BACKUP by the MASTER', async () => !(await exists(join(b.registry, 'rogue.conf'))));
  assert.ok(
    (await listHistory(b.registry)).some((k) => k.file === 'rogue.conf'),
    'rogue.conf kept in the history of the BACKUP',
  );
});

test('a conf without autostart=false is reported and not loaded', async () => {
  await writeFile(join(a.registry, 'eager.conf'), conf('eager', true));
  await waitFor('eager.conf on the peer', () => exists(join(b.registry, 'eager.conf')));
  const rejected = await waitFor('eager reported on the peer', () => b.module?.status().sets.apps?.rejected.find((r) => r.group === 'eager'));
  assert.match(rejected.reason, /autostart/);
  await waitFor('eager reported on the MASTER', () => a.module?.status().sets.apps?.rejected.some((r) => r.group === 'eager'));
  assert.equal(await stateOf(a, 'eager'), undefined);
  assert.equal(await stateOf(b, 'eager'), undefined);
  await rm(join(a.registry, 'eager.conf'));
});

test('a peer that is down is retried with backoff and catches up when it returns', async () => {
  await b.rsyncd.kill();
  await writeFile(join(a.registry, 'offline.conf'), conf('offline'));
  const down = await waitFor('the push to fail', () => {
    const p = peerOf(a.module);
    return p.state === 'retrying' && p.failures >= 2 && p;
  });
  assert.match(down.lastError?.message ?? '', /rsync exit 10/);
  assert.ok(down.lagMs > 0);
  await b.rsyncd.start();
  await waitFor('offline.conf on the returned peer', () => exists(join(b.registry, 'offline.conf')), 15_000);
  await waitFor('the peer in sync again', () => peerOf(a.module).state === 'in-sync' && peerOf(a.module).lagMs === 0);
});

test('pause holds changes (also across a restart) and resume pushes them', async () => {
  await a.module?.pauseSync();
  await writeFile(join(a.registry, 'held.conf'), conf('held'));
  await waitFor('the change waiting', () => peerOf(a.module).state === 'paused' && peerOf(a.module).lagMs > 0);
  await a.module?.idle();
  assert.equal(await exists(join(b.registry, 'held.conf')), false);

  await a.stopModule();
  await a.startModule([b]);
  assert.equal(a.module?.status().sets.apps?.paused, true, 'still paused after a restart');
  await a.module?.idle();
  assert.equal(await exists(join(b.registry, 'held.conf')), false);

  await a.module?.resumeSync();
  await waitFor('held.conf on the peer after resume', () => exists(join(b.registry, 'held.conf')));
  assert.equal(a.module?.status().sets.apps?.paused, false);
});

test('split brain: a peer that also claims MASTER gets no push until it yields', async () => {
  await b.setRole('apps', 'MASTER');
  // A push that asked before b claimed MASTER may still be under way.
  await a.module?.idle();
  await writeFile(join(a.registry, 'contested.conf'), conf('contested'));
  const sb = await waitFor('the push refused', () => {
    const p = peerOf(a.module);
    return p.state === 'split-brain' && p;
  });
  assert.equal(sb.splitBrain?.peerNode, 'hostb');
  assert.ok(a.module?.metrics().includes('supha_sync_peer_split_brain{set="apps",peer="hostb"} 1'));
  assert.match(sb.lastError?.message ?? '', /split brain/);
  assert.equal(await exists(join(b.registry, 'contested.conf')), false);

  await b.setRole('apps', 'BACKUP');
  await waitFor('contested.conf on the peer once it yields', () => exists(join(b.registry, 'contested.conf')), 15_000);
  assert.equal(peerOf(a.module).splitBrain, null);
});

test('becoming MASTER pushes what it verified; a conf dropped into its replica is quarantined, not pushed, until adopted', async () => {
  // Dropped by hand into b's replica while b is BACKUP: no verified generation lists it.
  await writeFile(join(b.registry, 'dropped.conf'), conf('dropped'));
  await waitFor('dropped refused on the BACKUP', () => b.module?.status().sets.apps?.rejected.some((r) => r.group === 'dropped'));
  await a.setRole('apps', 'BACKUP');
  await b.setRole('apps', 'MASTER');
  // b's own change as MASTER is signed and pushed.
  await writeFile(join(b.registry, 'takeover.conf'), conf('takeover'));
  await waitFor('takeover.conf on the old MASTER', () => exists(join(a.registry, 'takeover.conf')));
  await waitFor('b in sync', () => peerOf(b.module).state === 'in-sync');
  assert.equal(await exists(join(a.registry, 'dropped.conf')), false, 'the dropped conf is not pushed');
  assert.equal(await exists(join(b.registry, 'dropped.conf')), false, 'nor left in the registry');
  assert.equal(await stateOf(b, 'dropped'), undefined, 'nor loaded');
  const q = await waitFor('the quarantine in status', () => {
    const q = b.module?.status().sets.apps?.quarantined ?? [];
    return q.length > 0 && q;
  });
  assert.deepEqual(
    q.map((x) => x.file),
    ['dropped.conf'],
  );
  assert.match(q[0]?.reason ?? '', /in no verified generation of apps/);
  assert.ok(
    (await listHistory(b.registry)).some((k) => k.id === q[0]?.id && /-quarantine-hostb\//.test(k.id)),
    'kept in the history',
  );
  assert.ok(b.module?.metrics().includes('supha_sync_quarantined{set="apps"} 1'));
  // The operator accepts the registry as it is: the alarm ends, the file stays in the history.
  const adopt = await supha(['--config', b.cfgPath, 'sync', 'adopt', 'apps', '--local']);
  assert.equal(adopt.code, 0, adopt.stderr);
  await waitFor('no quarantine alarm', () => b.module?.status().sets.apps?.quarantined.length === 0);

  await writeFile(join(a.registry, 'stale.conf'), conf('stale'));
  await waitFor('stale refused on the new BACKUP', () => a.module?.status().sets.apps?.rejected.some((r) => r.group === 'stale'));
  await a.module?.idle();
  assert.equal(peerOf(a.module).state, 'not-master');
  assert.equal(await exists(join(b.registry, 'stale.conf')), false);
});
