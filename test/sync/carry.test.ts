import assert from 'node:assert/strict';
import { access, lstat, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { programConf } from '../helpers/supervisord.js';
import { type SyncHost, startSyncHost } from '../helpers/sync-host.js';
import { waitFor } from '../helpers/tmp.js';

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
