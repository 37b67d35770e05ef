import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { programConf } from '../helpers/supervisord.js';
import { type SyncHost, startSyncHost } from '../helpers/sync-host.js';
import { waitFor } from '../helpers/tmp.js';

// rsync --delay-updates renames the updated files into place in file-list order: the manifest
// (".supha-manifest.json" sorts before "*.conf") lands a moment before the confs it lists
// (strace of rsync 3.5: renameat .~tmp~/.supha-manifest.json, then a.conf, b.conf). A BACKUP
// promoted in between holds the new manifest with the old conf: that conf is carried, not
// quarantined. Real supervisord and rsync daemons on two loopback hosts.
let a: SyncHost;
let b: SyncHost;
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const conf = (name: string, cmd: string) => programConf(name, { command: cmd });

before(async () => {
  [a, b] = await Promise.all([startSyncHost('hosta'), startSyncHost('hostb')]);
  await writeFile(join(a.registry, 'app.conf'), conf('app', '/bin/sleep 1000'));
  a.roles.set('apps', 'MASTER');
  await a.startModule([b]);
  await b.startModule([a]);
  await waitFor('app on b', () => exists(join(b.registry, 'app.conf')));
  await waitFor('a in sync', () => a.module?.status().sets.apps?.peers[0]?.state === 'in-sync');
  await b.module?.idle();
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

test('promoted between the manifest rename and the conf rename: the conf of the generation before is carried', async () => {
  const v1 = await readFile(join(b.registry, 'app.conf'), 'utf8');
  // b noted generation 1; it stops noting (its agent busy with the promotion), generation 2 lands.
  await b.stopModule();
  await writeFile(join(a.registry, 'app.conf'), conf('app', '/bin/sleep 2000'));
  await waitFor('generation 2 on b', async () => (await readFile(join(b.registry, 'app.conf'), 'utf8')) !== v1);
  // The moment between the two renames: the new manifest, the old conf.
  await writeFile(join(b.registry, 'app.conf'), v1);
  await a.setRole('apps', 'BACKUP');
  await b.setRole('apps', 'MASTER');
  assert.equal(await exists(join(b.registry, 'app.conf')), true, 'app.conf quarantined');
});
