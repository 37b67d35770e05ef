import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { ROOT, supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { auditLines, SUPZCLI_BIN, snapshot, supzcli } from '../helpers/supzcli.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

const PROG = (name: string) => `[program:${name}]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\nstopwaitsecs=2\n`;

// Invariant 1: supzcli start/restart (and sup_run.sh start) of a service set's program only where
// the local agent says this node is the set's MASTER. One real supervisord, one real agent, a real
// keepalived alone in its namespace (loneKeepalived); events come through `supha notify`.
describe('supzcli starts a service set program only on its MASTER', () => {
  let sv: Supervisord;
  let tmp: { dir: string; cleanup: () => Promise<void> } | undefined;
  let agent: AgentProc | undefined;
  let fakeKa: { pid: number; kill(): Promise<void>; stop(): Promise<void> } | undefined;
  let cfgPath: string;
  let env: Record<string, string>;
  let web: string;
  let state: string;
  let dirs: string[];
  const stateOf = async (name: string) => (await sv.client().getAllProcessInfo()).find((p) => p.name === name)?.statename;
  const notify = async (role: string) => {
    const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', 'VI_W', role, '100']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(`the agent to act ${role}`, async () => (await agent?.status())?.sets.web.role === role, 30_000);
  };
  const oneRefusal = (r: { code: number; stdout: string; stderr: string }, re: RegExp) => {
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  };

  before(async () => {
    tmp = await tempDir('supha-supzg-');
    web = join(tmp.dir, 'web');
    state = join(tmp.dir, 'sv', 'state');
    await mkdir(web);
    await writeFile(join(web, 'w1.conf'), PROG('w1'));
    sv = await startSupervisord({
      dir: join(tmp.dir, 'sv'),
      include: [join(web, '*.conf')],
      programs: { plain: { command: '/bin/sleep 1000', autostart: false } },
    });
    fakeKa = await loneKeepalived(sv.dir, join(sv.dir, 'run/ka.fifo'));
    await writeFile(join(sv.dir, 'ka.pid'), `${fakeKa.pid}\n`);
    cfgPath = await writeJson(join(sv.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'], 'wait-timeout-ms': 30_000 },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'run/ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': { web: { 'vrrp-instance': 'VI_W', registry: web } },
        agent: { listen: `127.0.0.1:${await freePort()}`, 'reconcile-interval-ms': 300 },
      },
    });
    env = { SUPHA_CONFIG: cfgPath, HOME: tmp.dir };
    dirs = [web, sv.registryDir, join(state, 'parked')];
  });
  after(async () => {
    await agent?.stop();
    await fakeKa?.stop();
    await sv?.stop();
    await tmp?.cleanup();
  });

  test('no agent: start and restart of a set program refused (one line, exit 2, audited, nothing changed); --force starts it', async () => {
    const before = await snapshot(sv, dirs);
    oneRefusal(await supzcli(['start', 'w1'], env), /refused: start w1: it belongs to service set web and no agent answers .*supzcli start --force w1/);
    oneRefusal(await supzcli(['restart', 'w1'], env), /refused: restart w1: .*no agent answers/);
    assert.equal(await snapshot(sv, dirs), before);
    const last = (await auditLines(state)).filter((l) => l.outcome !== 'begin').slice(-2);
    assert.deepEqual(
      last.map((l) => [l.verb, l.outcome, l.exit]),
      [
        ['start', 'refused', 2],
        ['restart', 'refused', 2],
      ],
    );
    // A program of no set is not asked about.
    let r = await supzcli(['start', 'plain'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await supzcli(['start', '--force', 'w1'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: no agent answers/);
    assert.equal(await stateOf('w1'), 'RUNNING');
    // stop of a set program is guarded as start is: refused with no agent, --force stops it.
    oneRefusal(await supzcli(['stop', 'w1'], env), /refused: stop w1: it belongs to service set web and no agent answers .*supzcli stop --force w1/);
    r = await supzcli(['stop', '--force', 'w1', 'plain'], env);
    assert.equal(r.code, 0, r.stderr);
  });

  test('agent running: refused while BACKUP (also a parked conf, also sup_run.sh), allowed when MASTER', async () => {
    agent = await startAgent(cfgPath, join(state, 'agent.sock'));
    await notify('BACKUP');
    // w1 is parked (stopped above): its set is known from where it came from.
    const before = await snapshot(sv, dirs);
    oneRefusal(await supzcli(['start', 'w1'], env), /refused: start w1: this node is BACKUP of service set web, not MASTER/);
    oneRefusal(await supzcli(['role', web], env), /this node is BACKUP of service set web/);
    assert.equal(await snapshot(sv, dirs), before);

    // sup_run.sh start of an app whose registry is the set's: refused before writing its conf.
    const app = join(tmp?.dir ?? '', 'app');
    await cp(join(ROOT, 'supervisor/example-app'), app, { recursive: true, dereference: true });
    const bin = join(tmp?.dir ?? '', 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'supzcli'), `#!/bin/sh\nexec "${process.execPath}" "${SUPZCLI_BIN}" "$@"\n`);
    await chmod(join(bin, 'supzcli'), 0o755);
    const runEnv = { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}`, SUP_REGISTRY: web };
    const supRun = (action: string, e: NodeJS.ProcessEnv) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(join(app, 'sup_run.sh'), [action], { env: e, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
        );
      });
    const sr = await supRun('start', runEnv);
    assert.equal(sr.code, 2, sr.out);
    assert.match(sr.out, /this node is BACKUP of service set web/);
    assert.deepEqual(
      (await readdir(web)).filter((n) => !n.startsWith('.')),
      [],
    );
    assert.equal(await snapshot(sv, dirs), before);

    // A BACKUP never edits its replica: stop, update and sup_run.sh update|stop are refused, also
    // through a symlink to the registry, also with --force (an agent answered). Fails without the fix.
    await writeFile(join(web, 'w2.conf'), PROG('w2'));
    await symlink(web, join(tmp?.dir ?? '', 'web-link'));
    const files = async () => JSON.parse(await snapshot(sv, dirs)).files;
    const filesBefore = await files();
    oneRefusal(await supzcli(['stop', 'w2'], env), /refused: stop w2: this node is BACKUP of service set web, not MASTER; its registry here is a replica/);
    oneRefusal(await supzcli(['stop', '--force', 'w2'], env), /refused: stop w2: this node is BACKUP/);
    oneRefusal(await supzcli(['update', 'w2'], env), /refused: update w2: this node is BACKUP of service set web/);
    oneRefusal(await supzcli(['role', `${web}/../web/`], env), /this node is BACKUP of service set web/);
    oneRefusal(await supzcli(['role', '--for', 'update', join(tmp?.dir ?? '', 'web-link')], env), /refused: update .*: this node is BACKUP of service set web/);
    for (const action of ['update', 'stop']) {
      const r = await supRun(action, { ...runEnv, SUP_REGISTRY: join(tmp?.dir ?? '', 'web-link') });
      assert.equal(r.code, 2, `sup_run.sh ${action}: ${r.out}`);
      assert.match(r.out, new RegExp(`refused: ${action} .*this node is BACKUP of service set web`));
    }
    assert.deepEqual(await files(), filesBefore);
    assert.notEqual(await stateOf('w2'), 'RUNNING');
    const forced = (await auditLines(state)).filter((l) => l.force === true);
    assert.deepEqual(
      forced.map((l) => l.verb),
      ['start', 'stop'],
      'the --force runs without an agent are audited as such',
    );
    await rm(join(web, 'w2.conf'));
    await rm(join(web, 'example-app.conf'), { force: true });

    await notify('MASTER');
    const r = await supzcli(['start', 'w1'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await stateOf('w1'), 'RUNNING');
    assert.equal((await supzcli(['role', web], env)).code, 0);
  });
  test('on the MASTER the agent leaves a program alone while supzcli stops it (quiesce), and only then', async () => {
    // w1 runs, this node is MASTER (the test above). The agent repairs every 300 ms.
    assert.equal(await stateOf('w1'), 'RUNNING');
    const passes = async () => (await agent?.status())?.reconcile.passes as number;
    const afterPasses = async (n: number) => {
      const p0 = await passes();
      await waitFor(`${n} reconcile passes`, async () => (await passes()) >= p0 + n, 30_000);
    };
    const { askAgent } = await import('../../src/agent/control-client.js');
    const sock = join(state, 'agent.sock');
    // The window supzcli has between its stop and its park, held open by hand.
    assert.deepEqual(await askAgent(sock, { op: 'quiesce', groups: ['w1'], ms: 60_000 }, 3_000), { ok: true });
    await sv.client().stopProcess('w1');
    await afterPasses(3);
    assert.equal(await stateOf('w1'), 'STOPPED');
    // Lifted: the conf is still in the registry, so the agent starts it again (level-triggered).
    await askAgent(sock, { op: 'quiesce', groups: ['w1'], ms: 0 }, 3_000);
    await waitFor('the agent to restart w1', async () => (await stateOf('w1')) === 'RUNNING', 30_000);
    // Bad requests are refused, nothing changed.
    const bad = await askAgent(sock, { op: 'quiesce', groups: ['w1'], ms: -1 }, 3_000);
    assert.equal(bad.ok, false);

    // supzcli stop end to end: stopped, removed, parked, and it stays that way.
    const r = await supzcli(['stop', 'w1'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await afterPasses(3);
    assert.equal(await stateOf('w1'), undefined);
    // The set's manifest (a dot file) stays: no conf does.
    assert.deepEqual(
      (await readdir(web)).filter((n) => !n.startsWith('.')),
      [],
    );
    assert.match(agent?.logs() ?? '', /quiesce w1 for 180000 ms/);
    assert.match(agent?.logs() ?? '', /quiesce lifted: w1/);
  });
});
