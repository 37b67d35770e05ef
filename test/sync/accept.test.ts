import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { askAgent } from '../../src/agent/index.js';
import { sshCommand } from '../../src/sync/index.js';
import { pushRegistry } from '../../src/sync/rsync.js';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { ROOT, SUPHA_BIN, supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { type Rsyncd, startRsyncd } from '../helpers/rsyncd.js';
import { type Sshd, startSshd } from '../helpers/sshd.js';
import { programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

// Write access to an rsync module is not enough (issue 10): the MASTER signs whatever lands in
// its registry, so the shipped rsyncd.conf's `pre-xfer exec` refuses a push into a set this node is
// MASTER of. A real agent (roles through `supha notify`), a real rsync daemon with the shipped
// hook line, a real supervisord.
const rsync = (args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile('rsync', args, { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );

describe('sync accept: a MASTER refuses writes through its rsync module', { timeout: 120_000 }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let sv: Supervisord;
  let rsd: Rsyncd;
  let sshd: Sshd;
  let agent: AgentProc | undefined;
  let ka: Awaited<ReturnType<typeof loneKeepalived>> | undefined;
  let cfgPath: string;
  const reg = () => join(tmp.dir, 'registry', 'own');
  const sock = () => join(tmp.dir, 'state', 'agent.sock');
  const cli = async (...args: string[]) => {
    const r = await supha(['--config', cfgPath, ...args]);
    assert.equal(r.code, 0, r.stderr);
  };
  const syncRole = async () => {
    const r = await askAgent(sock(), { op: 'sync', action: 'status' }, 3_000);
    return r.ok ? (r.sync as any).sets.own.role : undefined;
  };
  const signed = async () => Object.keys(JSON.parse(await readFile(join(reg(), '.supha-manifest.json'), 'utf8').catch(() => '{"files":{}}')).files);
  const push = (file: string, to = 'own/') => rsync(['-a', `--password-file=${rsd.passwordFile}`, file, `${rsd.url}/${to}`]);
  const sshPush = (file: string) => rsync(['-a', '-e', sshCommand(sshd.sshOptions), file, 'root@127.0.0.1:/own/']);

  before(async () => {
    tmp = await tempDir('supha-accept-');
    await mkdir(reg(), { recursive: true });
    await writeFile(join(tmp.dir, 'token'), 'accept-token\n', { mode: 0o600 });
    sv = await startSupervisord({ dir: join(tmp.dir, 'sv'), include: [join(reg(), '*.conf')] });
    ka = await loneKeepalived(tmp.dir, join(tmp.dir, 'run/ka.fifo'));
    await writeFile(join(tmp.dir, 'ka.pid'), `${ka.pid}\n`);
    cfgPath = await writeJson(join(tmp.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': [] },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'run/ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': { own: { 'vrrp-instance': 'VI_own', registry: reg() } },
        agent: { listen: `127.0.0.1:${await freePort()}`, 'reconcile-interval-ms': 300, 'token-file': 'token' },
      },
    });
    // The shipped module's hook line, with this test's supha and config.
    const shipped = await readFile(join(ROOT, 'conf/rsyncd.conf.example'), 'utf8');
    const hook = (/^pre-xfer exec = .*$/m.exec(shipped)?.[0] ?? '')
      .replace('/usr/bin/supha', `${process.execPath} ${SUPHA_BIN}`)
      .replace('/etc/supha/config.json', cfgPath);
    rsd = await startRsyncd({ path: join(tmp.dir, 'registry'), moduleLines: `${hook}\n` });
    // And the shipped authorized_keys forced command, the same way.
    const keys = await readFile(join(ROOT, 'conf/authorized_keys.example'), 'utf8');
    const forced = (/^command="([^"]*)"/m.exec(keys)?.[1] ?? '')
      .replace('/usr/bin/supha', `${process.execPath} ${SUPHA_BIN}`)
      .replace('/etc/supha/config.json', cfgPath)
      .replaceAll('/etc/supervisor/registry', join(tmp.dir, 'registry'));
    sshd = await startSshd(join(tmp.dir, 'registry'), forced);
    agent = await startAgent(cfgPath, sock());
    await writeFile(join(tmp.dir, 'evil.conf'), programConf('evil', { command: '/bin/sleep 100000' }));
    await writeFile(join(tmp.dir, 'mine.conf'), programConf('mine', { command: '/bin/sleep 100000' }));
  });
  after(async () => {
    await agent?.stop();
    await ka?.stop();
    await rsd?.stop();
    await sshd?.stop();
    await sv?.stop();
    await tmp?.cleanup();
  });

  test('MASTER: a push into the set (or the module root) is refused and nothing is signed; reads go through', async () => {
    await cli('notify', 'INSTANCE', 'VI_own', 'MASTER');
    await waitFor('MASTER of own', async () => (await syncRole()) === 'MASTER', 20_000);
    await writeFile(join(reg(), 'a1.conf'), programConf('a1', { command: '/bin/sleep 100000' }));
    await waitFor('a1.conf signed', async () => (await signed()).includes('a1.conf'), 20_000);
    const r = await push(join(tmp.dir, 'evil.conf'));
    assert.notEqual(r.code, 0, `the push went through: ${r.out}`);
    assert.match(r.out, /refused: this node is MASTER of own/);
    await mkdir(join(tmp.dir, 'up', 'own'), { recursive: true });
    await writeFile(join(tmp.dir, 'up', 'own', 'evil.conf'), programConf('evil', { command: '/bin/sleep 100000' }));
    const root = await rsync(['-a', `--password-file=${rsd.passwordFile}`, `${join(tmp.dir, 'up')}/`, `${rsd.url}/`]);
    assert.notEqual(root.code, 0, `the push to the module root went through: ${root.out}`);
    const ssh = await sshPush(join(tmp.dir, 'evil.conf'));
    assert.notEqual(ssh.code, 0, `the ssh push went through: ${ssh.out}`);
    assert.match(ssh.out, /refused: this node is MASTER of own/);
    // A write dressed as a read (`--sender` as the value of --suffix), and over ssh two paths
    // (--old-args: the gate read the last, rrsync wrote to the first): adversarial review.
    const pw = `--password-file=${rsd.passwordFile}`;
    const dressed = await rsync(['-a', pw, '-M--suffix', '-M--sender', join(tmp.dir, 'evil.conf'), `${rsd.url}/own/`]);
    assert.notEqual(dressed.code, 0, `the push dressed as a read went through: ${dressed.out}`);
    const sshDressed = await rsync(['-a', '-e', sshCommand(sshd.sshOptions), '-M--suffix', '-M--sender', join(tmp.dir, 'evil.conf'), 'root@127.0.0.1:/own/']);
    assert.notEqual(sshDressed.code, 0, `the ssh push dressed as a read went through: ${sshDressed.out}`);
    await mkdir(join(tmp.dir, 'other'), { recursive: true });
    const two = await rsync(['-a', '--old-args', '-e', sshCommand(sshd.sshOptions), join(tmp.dir, 'evil.conf'), 'root@127.0.0.1:/own/ /nowhere/']);
    assert.notEqual(two.code, 0, `the ssh push naming two paths went through: ${two.out}`);
    const bdir = await rsync(['-a', pw, '-b', '--backup-dir=/own', '--suffix=', join(tmp.dir, 'evil.conf'), `${rsd.url}/own/`]);
    assert.notEqual(bdir.code, 0, `the push with an absolute --backup-dir went through: ${bdir.out}`);
    assert.ok(!(await signed()).includes('evil.conf'), 'evil.conf signed');
    await assert.rejects(readFile(join(reg(), 'evil.conf')), 'evil.conf landed in the MASTER registry');
    const pull = await rsync(['-a', `--password-file=${rsd.passwordFile}`, `${rsd.url}/own/a1.conf`, join(tmp.dir, 'pulled.conf')]);
    assert.equal(pull.code, 0, pull.out);
    const sshPull = await rsync(['-a', '-e', sshCommand(sshd.sshOptions), 'root@127.0.0.1:/own/a1.conf', join(tmp.dir, 'pulled-ssh.conf')]);
    assert.equal(sshPull.code, 0, sshPull.out);
  });

  test('BACKUP: the push is received (and refused by the replica rule, not signed)', async () => {
    await cli('notify', 'INSTANCE', 'VI_own', 'BACKUP');
    await waitFor('BACKUP of own', async () => (await syncRole()) === 'BACKUP', 20_000);
    const r = await push(join(tmp.dir, 'mine.conf'));
    assert.equal(r.code, 0, r.out);
    // Recorded before it landed: the promotion rule then carries only verified confs.
    const carry = JSON.parse(await readFile(join(tmp.dir, 'state', 'sync', 'own.carry.json'), 'utf8'));
    assert.equal(carry.received, true);
    assert.ok(!('mine.conf' in carry.own), 'own: what was there before the write');
    await readFile(join(reg(), 'mine.conf'));
    await writeFile(join(tmp.dir, 'mine2.conf'), programConf('mine2', { command: '/bin/sleep 100000' }));
    const ssh = await sshPush(join(tmp.dir, 'mine2.conf'));
    assert.equal(ssh.code, 0, ssh.out);
    await readFile(join(reg(), 'mine2.conf'));
    assert.ok(!(await signed()).includes('mine.conf'));
    // A push exactly as the agent makes one (src/sync/rsync.ts: --backup-dir, --delete, filters),
    // over both transports, still goes through the hardened gate.
    const src = join(tmp.dir, 'pusher');
    await mkdir(src, { recursive: true });
    for (const f of ['mine.conf', 'mine2.conf']) await writeFile(join(src, f), await readFile(join(reg(), f)));
    await writeFile(join(src, 'mine3.conf'), programConf('mine3', { command: '/bin/sleep 100000' }));
    const viaDaemon = await pushRegistry(src, 'own', { target: rsd.url, passwordFile: rsd.passwordFile }, { timeoutMs: 10_000 });
    assert.equal(viaDaemon.ok, true, JSON.stringify(viaDaemon));
    await readFile(join(reg(), 'mine3.conf'));
    await writeFile(join(src, 'mine4.conf'), programConf('mine4', { command: '/bin/sleep 100000' }));
    const viaSsh = await pushRegistry(src, 'own', { target: 'root@127.0.0.1:/', sshOptions: sshd.sshOptions }, { timeoutMs: 10_000 });
    assert.equal(viaSsh.ok, true, JSON.stringify(viaSsh));
    await readFile(join(reg(), 'mine4.conf'));
  });

  // Held across a demotion (issue 10 review): the held node keeps running the set as MASTER, but
  // keepalived has made it BACKUP; what is written into its registry then is a replica's.
  test('held as MASTER after keepalived demoted it: a new conf is not signed, and is quarantined when it is MASTER again', async () => {
    await cli('notify', 'INSTANCE', 'VI_own', 'MASTER');
    await waitFor('MASTER of own', async () => (await syncRole()) === 'MASTER', 20_000);
    await cli('hold', '--set', 'own', '--reason', 'accept test');
    await cli('notify', 'INSTANCE', 'VI_own', 'BACKUP');
    await waitFor('keepalived BACKUP seen under the hold', async () => (await agent!.status()).sets.own.effective === 'BACKUP', 20_000);
    assert.equal((await agent!.status()).sets.own.role, 'MASTER', 'the hold keeps acting as MASTER');
    await writeFile(join(reg(), 'late.conf'), programConf('late', { command: '/bin/sleep 100000' }));
    const rejected = async () => ((await agent!.status()).sets.own.lastApply?.rejected ?? []).map((r: { file: string }) => r.file);
    await waitFor('late.conf refused or signed', async () => (await rejected()).includes('late.conf') || (await signed()).includes('late.conf'), 20_000);
    assert.ok(!(await signed()).includes('late.conf'), 'late.conf was signed by a node keepalived has as BACKUP');
    await cli('notify', 'INSTANCE', 'VI_own', 'MASTER');
    await cli('release', '--set', 'own');
    const quarantined = async () => {
      const r = await askAgent(sock(), { op: 'sync', action: 'status' }, 3_000);
      return r.ok ? (r.sync as any).sets.own.quarantined.map((q: { file: string }) => q.file) : [];
    };
    await waitFor('late.conf quarantined once MASTER again', async () => (await quarantined()).includes('late.conf'), 20_000);
    assert.ok(!(await signed()).includes('late.conf'));
    assert.ok(!(await sv.client().getAllProcessInfo()).some((p) => p.name === 'late'), 'late loaded');
  });
});
