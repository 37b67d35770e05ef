import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { carryAcrossPromotion, carryFile, noteReceived, noteReplica, openQuarantine } from '../../src/sync/carry.js';
import { contentOf, successor, writeManifest } from '../../src/sync/manifest.js';
import { silentLogger } from '../../src/util/log.js';
import { programConf } from '../helpers/supervisord.js';
import { type SyncHost, startSyncHost } from '../helpers/sync-host.js';
import { tempDir, waitFor } from '../helpers/tmp.js';

const exec = promisify(execFile);

// The promotion quarantine's corner cases (issue 10 review), on two loopback hosts, each a real
// supervisord and rsync daemon; roles set by the test (setRole runs the agent's promotion step).
let a: SyncHost;
let b: SyncHost;
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const conf = (name: string) => programConf(name, { command: '/bin/sleep 1000' });
const quarantined = (h: SyncHost) => (h.module?.status().sets.apps?.quarantined ?? []).map((q) => q.file);

before(async () => {
  [a, b] = await Promise.all([startSyncHost('hosta'), startSyncHost('hostb')]);
  await writeFile(join(a.registry, 'billing.conf'), conf('billing'));
  a.roles.set('apps', 'MASTER');
  await a.startModule([b]);
  await b.startModule([a]);
  await waitFor('billing on b', () => exists(join(b.registry, 'billing.conf')));
  await waitFor('a in sync', () => a.module?.status().sets.apps?.peers[0]?.state === 'in-sync');
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('a regular file named .supha-history: the promotion still quarantines, the file is renamed aside, the set runs', async () => {
  await rm(join(b.registry, '.supha-history'), { recursive: true, force: true });
  await writeFile(join(b.registry, '.supha-history'), 'not a folder\n');
  await writeFile(join(b.registry, 'dropped.conf'), conf('dropped'));
  await waitFor('dropped refused on the BACKUP', () => b.module?.status().sets.apps?.rejected.some((r) => r.group === 'dropped'));
  await a.setRole('apps', 'BACKUP');
  await b.setRole('apps', 'MASTER');
  await waitFor('dropped quarantined', () => quarantined(b).includes('dropped.conf'));
  assert.equal(await exists(join(b.registry, 'dropped.conf')), false);
  assert.ok((await lstat(join(b.registry, '.supha-history'))).isDirectory());
  const aside = (await readdir(b.registry)).filter((f) => f.startsWith('.supha-history.not-a-folder-'));
  assert.equal(aside.length, 1, 'the file is kept under another name');
  await writeFile(join(b.registry, 'after.conf'), conf('after'));
  await waitFor('after.conf pushed by the new MASTER', () => exists(join(a.registry, 'after.conf')));
});

test('after a token rotation the remembered generation lists nothing: the promotion quarantines instead of carrying it all', async () => {
  // a holds b's generations, signed with the old token; promoted with a new one.
  await waitFor('after.conf on a', () => exists(join(a.registry, 'after.conf')));
  const moved = await carryAcrossPromotion({
    set: 'apps',
    node: a.name,
    registry: a.registry,
    token: 'rotated-token',
    statePath: carryFile(join(a.dir, 'state'), 'apps'),
    log: silentLogger,
  });
  assert.equal(moved, true, 'nothing quarantined');
  assert.equal(await exists(join(a.registry, 'after.conf')), false);
  assert.ok((await readdir(join(a.registry, '.supha-history'))).some((d) => d.includes('-quarantine-')));
});

test('a node that took writes through the module but never a verified generation carries its own confs only; a corrupt or missing carry file fails closed', async () => {
  const c = await startSyncHost('hostc');
  try {
    await writeFile(join(c.registry, 'c1.conf'), conf('c1'));
    await c.startModule([]);
    await c.setRole('apps', 'BACKUP');
    // Dropped into the BACKUP's registry through the rsync module: `supha sync accept` records it
    // first (test/sync/accept.test.ts), as here.
    await noteReceived(carryFile(join(c.dir, 'state'), 'apps'), c.registry);
    await writeFile(join(c.registry, 'dropped.conf'), conf('dropped'));
    await c.setRole('apps', 'MASTER');
    await waitFor('dropped quarantined on c', () => quarantined(c).includes('dropped.conf'));
    assert.equal(await exists(join(c.registry, 'c1.conf')), true, 'its own conf is carried');
    assert.equal(await exists(join(c.registry, 'dropped.conf')), false);
    // A write as MASTER: its own generation now lists c1.conf and c2.conf.
    await writeFile(join(c.registry, 'c2.conf'), conf('c2'));
    await waitFor('c signed its registry', () => c.module?.status().sets.apps?.generation?.hash !== undefined);

    await c.setRole('apps', 'BACKUP');
    await c.module?.idle();
    await writeFile(carryFile(join(c.dir, 'state'), 'apps'), '{"held": "mas');
    await writeFile(join(c.registry, 'second.conf'), conf('second'));
    await c.setRole('apps', 'MASTER');
    await waitFor('second quarantined on c', () => quarantined(c).includes('second.conf'));
    assert.equal(await exists(join(c.registry, 'c2.conf')), true, 'the verified generation is carried');

    await c.setRole('apps', 'BACKUP');
    await c.module?.idle();
    await rm(carryFile(join(c.dir, 'state'), 'apps'));
    await rm(join(c.registry, '.supha-manifest.json'));
    await writeFile(join(c.registry, 'third.conf'), conf('third'));
    await c.setRole('apps', 'MASTER');
    await waitFor('third quarantined on c', () => quarantined(c).includes('third.conf'));
    assert.equal(await exists(join(c.registry, 'third.conf')), false);
  } finally {
    await c.stop();
  }
});

// Killed between moving a conf aside and recording it, the alarm was gone (the conf only in the
// history). A move that fails half-way (an immutable conf: chattr +i, EPERM even for root) stands
// in for the kill: what moved is already recorded.
test('the quarantine records its entries before it moves the confs', async () => {
  const t = await tempDir('supha-carry-order-');
  const reg = join(t.dir, 'reg');
  const statePath = join(t.dir, 'state', 'apps.carry.json');
  try {
    await mkdir(reg, { recursive: true });
    await writeManifest(reg, successor('apps', 'peer', await contentOf(reg), undefined), 'tok');
    await noteReplica(statePath, reg, 'tok');
    await writeFile(join(reg, 'a.conf'), conf('a'));
    await writeFile(join(reg, 'b.conf'), conf('b'));
    await exec('chattr', ['+i', join(reg, 'b.conf')]);
    await assert.rejects(carryAcrossPromotion({ set: 'apps', node: 'n1', registry: reg, token: 'tok', statePath, log: silentLogger }));
    assert.equal(await exists(join(reg, 'a.conf')), false, 'a.conf moved');
    assert.deepEqual(
      (await openQuarantine(statePath, reg)).map((q) => q.file),
      ['a.conf'],
      'the moved conf is in the alarm; the one still here is not',
    );
  } finally {
    await exec('chattr', ['-i', join(reg, 'b.conf')]).catch(() => {});
    await t.cleanup();
  }
});
