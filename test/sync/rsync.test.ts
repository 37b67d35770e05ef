import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { listHistory, pushRegistry, rsyncArgs, sshCommand } from '../../src/sync/index.js';
import { type Rsyncd, startRsyncd } from '../helpers/rsyncd.js';
import { freePort, tempDir } from '../helpers/tmp.js';

test('ssh targets get one -e argument quoted the way rsync splits it', () => {
  assert.equal(sshCommand(), 'ssh -o BatchMode=yes');
  assert.equal(sshCommand(['-p', '2222', '-o', 'ProxyCommand ssh "jump" -W %h:%p']), 'ssh -o BatchMode=yes -p 2222 -o "ProxyCommand ssh ""jump"" -W %h:%p"');
  const args = rsyncArgs('/etc/reg/', 'apps', { target: 'sync@app122:/srv/replicas/', sshOptions: ['-p', '2222'] }, 5_000);
  assert.deepEqual(args.slice(-5), ['-e', 'ssh -o BatchMode=yes -p 2222', '--', '/etc/reg/', 'sync@app122:/srv/replicas/apps/']);
  for (const must of ['-a', '--delete', '--delay-updates', '--timeout=5', '--no-devices', '--no-specials', '--safe-links', '--backup'])
    assert.ok(args.includes(must), must);
  assert.ok(args.some((a) => a.startsWith('--backup-dir=/srv/replicas/apps/.supha-history/')));
  const additive = rsyncArgs('/etc/reg/', 'apps', { target: 'sync@app122:/srv/replicas/' }, 5_000, 'additive');
  assert.ok(!additive.includes('--delete') && additive.includes('--backup'));
  const daemon = rsyncArgs('/etc/reg', 'apps', { target: 'rsync://supha@app122/registry', passwordFile: '/etc/supha/rsync.pw' }, 5_000);
  assert.ok(daemon.includes('--password-file=/etc/supha/rsync.pw'));
  assert.ok(!daemon.includes('-e'));
  assert.deepEqual(daemon.slice(-3), ['--', '/etc/reg/', 'rsync://supha@app122/registry/apps/']);
});

let tmp: { dir: string; cleanup: () => Promise<void> };
let daemon: Rsyncd;
let src: string;
let replicas: string;

before(async () => {
  tmp = await tempDir('supha-rsync-');
  src = join(tmp.dir, 'registry');
  replicas = join(tmp.dir, 'replicas');
  await mkdir(src, { recursive: true });
  daemon = await startRsyncd({ path: replicas });
});

after(async () => {
  await daemon?.stop();
  await tmp?.cleanup();
});

test('a push copies registry files, deletes what is gone, and never sends editor temp files', async () => {
  const peer = { target: daemon.url, passwordFile: daemon.passwordFile };
  await writeFile(join(src, 'billing.conf'), '[program:billing]\ncommand=/bin/true\nautostart=false\n');
  await writeFile(join(src, 'mailer.conf'), '[program:mailer]\ncommand=/bin/true\nautostart=false\n');
  for (const junk of ['.billing.conf.swp', 'billing.conf~', '#mailer.conf#', 'notes.txt', 'old.ini']) await writeFile(join(src, junk), 'junk');
  const first = await pushRegistry(src, 'apps', peer, { timeoutMs: 10_000 });
  assert.equal(first.ok, true, first.error);
  assert.deepEqual((await readdir(join(replicas, 'apps'))).sort(), ['billing.conf', 'mailer.conf']);

  await rm(join(src, 'mailer.conf'));
  await writeFile(join(src, 'billing.conf'), '[program:billing]\ncommand=/bin/false\nautostart=false\n');
  const second = await pushRegistry(src, 'apps', peer, { timeoutMs: 10_000 });
  assert.equal(second.ok, true, second.error);
  assert.deepEqual((await readdir(join(replicas, 'apps'))).sort(), ['.supha-history', 'billing.conf']);
  assert.match(await readFile(join(replicas, 'apps', 'billing.conf'), 'utf8'), /bin\/false/);
  // What the push deleted and overwrote is kept on the receiving side.
  const kept = await listHistory(join(replicas, 'apps'));
  assert.deepEqual(kept.map((k) => k.file).sort(), ['billing.conf', 'mailer.conf']);
  assert.match(await readFile(kept.find((k) => k.file === 'billing.conf')?.path ?? '', 'utf8'), /bin\/true/);
});

test('a wrong password and a dead peer are failures that say why', async () => {
  const badPw = join(tmp.dir, 'bad.pw');
  await writeFile(badPw, 'wrong\n', { mode: 0o600 });
  const denied = await pushRegistry(src, 'apps', { target: daemon.url, passwordFile: badPw }, { timeoutMs: 10_000 });
  assert.equal(denied.ok, false);
  assert.equal(denied.exitCode, 5);
  assert.match(denied.error ?? '', /rsync exit 5 \(error starting client-server protocol/);

  const dead = await pushRegistry(
    src,
    'apps',
    { target: `rsync://supha@127.0.0.1:${await freePort()}/supha`, passwordFile: daemon.passwordFile },
    { timeoutMs: 5_000 },
  );
  assert.equal(dead.ok, false);
  assert.equal(dead.exitCode, 10);
  assert.match(dead.error ?? '', /socket I\/O/);
});
