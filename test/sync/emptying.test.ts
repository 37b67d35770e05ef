import assert from 'node:assert/strict';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { listHistory, type PeerStatus } from '../../src/sync/index.js';
import { supha } from '../helpers/cli.js';
import { programConf } from '../helpers/supervisord.js';
import { supzcli } from '../helpers/supzcli.js';
import { type SyncHost, startSyncHost } from '../helpers/sync-host.js';
import { waitFor } from '../helpers/tmp.js';

// A registry that was replicated and is then emptied (rm *.conf on the MASTER, a mount that
// vanished) never wipes a non-empty peer: the push is refused with an alarm until an operator
// adopts the empty registry. supzcli stop of the last program still empties the peer: the parked
// store holds that conf. Two loopback hosts: real supervisord, rsync daemons, the sync module.
let a: SyncHost;
let b: SyncHost;

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const conf = (name: string) => programConf(name, { command: '/bin/sleep 1000' });
const peerOf = (h: SyncHost): PeerStatus => {
  const p = h.module?.status().sets.apps?.peers[0];
  assert.ok(p, 'a peer status');
  return p;
};

before(async () => {
  [a, b] = await Promise.all([startSyncHost('emptya'), startSyncHost('emptyb')]);
  await writeFile(join(a.registry, 'one.conf'), conf('one'));
  await writeFile(join(a.registry, 'two.conf'), conf('two'));
  a.roles.set('apps', 'MASTER');
  await a.startModule([b], { 'retry-min-ms': 100, 'retry-max-ms': 300 });
  await b.startModule([a]);
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('rm *.conf on the MASTER is refused with an alarm and wipes nothing on the peer, until adopt --local', async () => {
  await waitFor('both confs on the peer', async () => (await exists(join(b.registry, 'one.conf'))) && exists(join(b.registry, 'two.conf')));
  await waitFor('in sync', () => peerOf(a).state === 'in-sync');
  await rm(join(a.registry, 'one.conf'));
  await rm(join(a.registry, 'two.conf'));
  await waitFor('the push refused', () => peerOf(a).state === 'refused', 15_000);
  assert.match(
    peerOf(a).refused?.reason ?? '',
    /registry of apps is empty here .*a push would delete all 2 conf\(s\) on emptyb .*supha sync adopt apps --local/,
  );
  assert.ok(a.module?.metrics().includes('supha_sync_peer_refused{set="apps",peer="emptyb"} 1'), 'the refusal is a metric');
  // A few more tries: still refused, nothing gone.
  await waitFor('a retry', () => peerOf(a).failures >= 3, 15_000);
  assert.ok(await exists(join(b.registry, 'one.conf')), 'one.conf still on the peer');
  assert.ok(await exists(join(b.registry, 'two.conf')), 'two.conf still on the peer');

  const adopt = await supha(['--config', a.cfgPath, 'sync', 'adopt', 'apps', '--local']);
  assert.equal(adopt.code, 0, adopt.stderr);
  assert.match(adopt.stdout, /^adopted apps as it is here: generation \d+, 0 conf\(s\)/);
  await waitFor('the peer emptied once adopted', async () => !(await exists(join(b.registry, 'one.conf'))) && !(await exists(join(b.registry, 'two.conf'))));
  await waitFor('in sync again', () => peerOf(a).state === 'in-sync');
  const kept = (await listHistory(b.registry)).map((k) => k.file);
  assert.ok(kept.includes('one.conf') && kept.includes('two.conf'), `the peer keeps what the push deleted: ${kept.join(', ')}`);
});

test('supzcli stop of the last program still empties the peer: the parked store holds the conf', async () => {
  await writeFile(join(a.registry, 'solo.conf'), conf('solo'));
  await waitFor('solo.conf on the peer', () => exists(join(b.registry, 'solo.conf')));
  let r = await supzcli(['--config', a.cfgPath, 'stop', 'solo']);
  if (r.code !== 0 && /no agent answers/.test(r.stdout + r.stderr)) r = await supzcli(['--config', a.cfgPath, 'stop', '--force', 'solo']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await exists(join(a.registry, 'solo.conf')), false, 'parked, out of the registry');
  await waitFor('solo.conf gone from the peer', async () => !(await exists(join(b.registry, 'solo.conf'))), 15_000);
  await waitFor('in sync', () => peerOf(a).state === 'in-sync');
  assert.equal(peerOf(a).refused, null);
});
