import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { advance, fetchPeerManifest, listHistory, pushRegistry } from '../../src/sync/index.js';
import { type Sshd, startSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

// The ssh transport for real: sshd with a forced rrsync command in authorized_keys.
let tmp: { dir: string; cleanup: () => Promise<void> };
let sshd: Sshd;
let src: string;
let replicas: string;

before(async () => {
  tmp = await tempDir('supha-ssh-');
  src = join(tmp.dir, 'registry');
  replicas = join(tmp.dir, 'replicas');
  await mkdir(src, { recursive: true });
  sshd = await startSshd(replicas);
});

after(async () => {
  await sshd?.stop();
  await tmp?.cleanup();
});

test('pushes, the peer generation and the kept history go through ssh + rrsync', async () => {
  const peer = { target: 'root@127.0.0.1:/', sshOptions: sshd.sshOptions };
  assert.deepEqual(await fetchPeerManifest('apps', peer, 'tok', { timeoutMs: 10_000 }), { kind: 'none' });
  await writeFile(join(src, 'a.conf'), '[program:a]\ncommand=/bin/true\n');
  await writeFile(join(src, 'b.conf'), '[program:b]\ncommand=/bin/true\n');
  const g1 = await advance(src, 'apps', 'n1', 'tok');
  const first = await pushRegistry(src, 'apps', peer, { timeoutMs: 10_000, mode: 'additive' });
  assert.equal(first.ok, true, first.error);
  const seen = await fetchPeerManifest('apps', peer, 'tok', { timeoutMs: 10_000 });
  assert.equal(seen.kind === 'ok' && seen.manifest.counter, g1?.counter);
  await writeFile(join(src, 'b.conf'), '[program:b]\ncommand=/bin/false\n');
  await writeFile(join(replicas, 'apps', 'c.conf'), '[program:c]\n');
  const full = await pushRegistry(src, 'apps', peer, { timeoutMs: 10_000, mode: 'full' });
  assert.equal(full.ok, true, full.error);
  assert.deepEqual((await readdir(join(replicas, 'apps'))).sort(), ['.supha-history', '.supha-manifest.json', 'a.conf', 'b.conf']);
  assert.deepEqual((await listHistory(join(replicas, 'apps'))).map((k) => k.file).sort(), ['b.conf', 'c.conf']);
  // rrsync keeps the key inside its folder.
  const out = await pushRegistry(src, '../escape', peer, { timeoutMs: 10_000 });
  assert.equal(out.ok, false);
  assert.deepEqual(await readdir(tmp.dir).then((d) => d.includes('escape')), false);
});
