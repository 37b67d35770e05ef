import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { auditLines, SUPZCLI_BIN, snapshot, supervisorctl, supzcli } from '../helpers/supzcli.js';
import { tempDir, waitFor, writeJson } from '../helpers/tmp.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

const PROG = (name: string, extra = '') => `[program:${name}]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\nstopwaitsecs=2\n${extra}`;

describe('supzcli on a real supervisord', () => {
  let sv: Supervisord;
  let cleanup: () => Promise<void>;
  let dir: string;
  let reg: string;
  let setReg: string;
  let state: string;
  let env: Record<string, string>;
  let dirs: string[];
  // Where the parked store keeps a conf of registry `registry` (keyed by registry and file).
  const parkedAt = (registry: string, file: string) => join(state, 'parked', encodeURIComponent(registry), file);
  const infos = async () => (await sv.client().getAllProcessInfo()).map((i) => `${i.group}:${i.name}:${i.statename}`);

  before(async () => {
    ({ dir, cleanup } = await tempDir('supha-supz-'));
    reg = join(dir, 'conf.d');
    setReg = join(dir, 'set-a');
    state = join(dir, 'state');
    await mkdir(reg, { recursive: true });
    await mkdir(setReg, { recursive: true });
    await writeFile(join(reg, 'pair.conf'), `${PROG('p1')}\n${PROG('p2')}`);
    await writeFile(join(reg, 'grp.conf'), `[group:grp]\nprograms=g1,g2\n\n${PROG('g1')}\n${PROG('g2')}`);
    await writeFile(join(reg, 'svc-file.conf'), PROG('renamed'));
    await writeFile(join(setReg, 'seta.conf'), PROG('setprog'));
    sv = await startSupervisord({
      dir,
      include: [join(setReg, '*.conf')],
      programs: {
        web: { command: '/bin/sleep 1000' },
        idle: { command: '/bin/sleep 1000' },
        workers: { command: '/bin/sleep 1000', numprocs: 2 },
        'a-program-name-longer-than-thirty-chars': { command: '/bin/sleep 1000' },
        // Exits at once after a start that counts (startsecs=0): EXITED, a state that stays.
        crasher: { command: '/bin/false' },
      },
    });
    const c = sv.client();
    // It may exit before the start call returns (ABNORMAL_TERMINATION): the state is what counts.
    await c.startProcess('crasher').catch(() => {});
    await waitFor('crasher EXITED', async () => (await c.getProcessInfo('crasher')).statename === 'EXITED', 20_000);
    await c.startProcess('web');
    await c.startProcessGroup('workers');
    await c.startProcessGroup('grp');
    const cfg = await writeJson(join(dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'], 'wait-timeout-ms': 30_000 },
      ha: { 'service-sets': { a: { 'vrrp-instance': 'VI_A', registry: 'set-a' } } },
    });
    env = { SUPHA_CONFIG: cfg, HOME: dir };
    dirs = [reg, setReg, join(state, 'parked')];
  });
  after(async () => {
    await sv?.stop();
    await cleanup?.();
  });

  test('status prints what supervisorctl prints, byte for byte, and exits as it does', async () => {
    const cases = [
      [],
      ['web'],
      ['idle'],
      ['crasher'],
      ['a-program-name-longer-than-thirty-chars'],
      ['nope'],
      ['web', 'nope', 'workers:*'],
      ['grp:'],
      ['workers:workers_00', 'idle'],
      ['nosuch:*'],
      ['all'],
    ];
    for (const args of cases) {
      // An uptime second can tick between two runs (under load they take ~0.5 s each): supzcli's
      // run is bracketed by two of supervisorctl's and must equal one of them exactly; else again.
      let ours = await supzcli(['status', ...args], env);
      let theirs = await supervisorctl(sv, ['status', ...args]);
      let earlier = theirs.stdout;
      for (let i = 0; i < 8 && ours.stdout !== theirs.stdout && ours.stdout !== earlier; i++) {
        earlier = (await supervisorctl(sv, ['status', ...args])).stdout;
        ours = await supzcli(['status', ...args], env);
        theirs = await supervisorctl(sv, ['status', ...args]);
      }
      assert.equal(ours.stdout, ours.stdout === earlier ? earlier : theirs.stdout, `status ${args.join(' ')}`);
      assert.equal(ours.code, theirs.code, `exit code of status ${args.join(' ')}`);
    }
    assert.equal((await supzcli(['status', 'idle'], env)).code, 3);
    assert.equal((await supzcli(['status', 'web'], env)).code, 0);
  });

  test('every refusal: exit 2, one line saying why, nothing changed, audited', async () => {
    const refusedCfg = await writeJson(join(dir, 'refusing.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
      supzcli: { 'refuse-verbs': ['restart'] },
    });
    const before = await snapshot(sv, dirs);
    const auditBefore = (await auditLines(state)).length;
    const cmds = [['shutdown'], ['reload'], ['stop', 'all'], ['restart', 'all'], ['start', 'all'], ['remove', 'web'], ['remove', 'all'], ['add', 'web']];
    cmds.push(['signal', 'KILL', 'all'], ['clear', 'all'], ['stop', 'web', 'all'], ['open', 'unix:///x.sock'], ['fg', 'web']);
    for (const cmd of cmds) {
      const r = await supzcli(cmd, env);
      assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^supzcli: refused: /);
    }
    const r = await supzcli(['restart', 'web'], { ...env, SUPHA_CONFIG: refusedCfg });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refuse-verbs/);
    assert.equal(await snapshot(sv, dirs), before);
    const lines = (await auditLines(state)).slice(auditBefore);
    assert.equal(lines.length, cmds.length + 1);
    assert.ok(lines.every((l) => l.outcome === 'refused' && l.exit === 2 && typeof l.user === 'string' && typeof l.time === 'string'));
    assert.deepEqual(lines[2]?.names, ['all']);
    assert.equal(lines[2]?.verb, 'stop');
  });

  test('bad or unknown names are refused before anything is touched', async () => {
    const before = await snapshot(sv, dirs);
    const cmds = [
      ['stop', '../web'],
      ['stop', 'web*'],
      ['stop', 'a;b'],
      ['stop', 'nope'],
      ['stop', 'web', 'nope'],
      ['start', 'x/y'],
      ['start', 'nope'],
      ['restart', 'nope'],
      ['signal', 'HUP', '$(id)'],
      ['update', 'nope'],
      ['stop', 'grp:g1'],
      ['start', 'g1'],
      ['stop', 'p1'],
    ];
    for (const cmd of cmds) {
      const r = await supzcli(cmd, env);
      assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.match((await supzcli(['stop', 'p1'], env)).stderr, /pair\.conf defines p1 and also p2/);
    assert.equal(await snapshot(sv, dirs), before);
  });

  test('stop X: stopped, removed from supervisord, conf parked; start X: restored and running', async () => {
    const conf = await readFile(join(reg, 'web.conf'), 'utf8');
    let r = await supzcli(['stop', 'web'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^web: stopped\nweb: removed process group\nweb: conf parked/);
    assert.ok(!(await infos()).some((i) => i.startsWith('web:')));
    assert.equal(await exists(join(reg, 'web.conf')), false);
    assert.equal(await readFile(parkedAt(reg, 'web.conf'), 'utf8'), conf);
    assert.equal(JSON.parse(await readFile(`${parkedAt(reg, 'web.conf')}.json`, 'utf8')).from, join(reg, 'web.conf'));

    r = await supzcli(['start', 'web'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /web: started/);
    assert.equal(await readFile(join(reg, 'web.conf'), 'utf8'), conf);
    assert.equal(await exists(parkedAt(reg, 'web.conf')), false);
    assert.ok((await infos()).includes('web:web:RUNNING'));
    const last = (await auditLines(state)).slice(-4);
    assert.deepEqual(
      last.map((l) => [l.verb, l.names, l.outcome]),
      [
        ['stop', ['web'], 'begin'],
        ['stop', ['web'], 'ok'],
        ['start', ['web'], 'begin'],
        ['start', ['web'], 'ok'],
      ],
    );
  });

  test('other file names, files of two programs, [group:]s, numprocs and a service set registry', async () => {
    const cases: [string[], string, string][] = [
      [['renamed'], join(reg, 'svc-file.conf'), 'svc-file.conf'],
      [['p1', 'p2'], join(reg, 'pair.conf'), 'pair.conf'],
      [['grp:*'], join(reg, 'grp.conf'), 'grp.conf'],
      [['workers'], join(reg, 'workers.conf'), 'workers.conf'],
      [['setprog'], join(setReg, 'seta.conf'), 'seta.conf'],
    ];
    for (const [names, file, base] of cases) {
      const group = (names[0] ?? '').replace(':*', '');
      // No agent runs here: a service set's program stops and starts only with --force (guard.test.ts).
      const inSet = file.startsWith(`${setReg}/`);
      let r = await supzcli(['stop', ...(inSet ? ['--force'] : []), ...names], env);
      assert.equal(r.code, 0, `stop ${names.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(await exists(file), false, file);
      assert.ok(await exists(parkedAt(dirname(file), base)));
      assert.ok(!(await infos()).some((i) => i.startsWith(`${group}:`)), `${group} still loaded`);
      r = await supzcli(['start', ...(inSet ? ['--force'] : []), ...names], env);
      assert.equal(r.code, 0, `start ${names.join(' ')}: ${r.stdout}${r.stderr}`);
      if (inSet) assert.match(r.stderr, /warning: no agent answers .*--force/);
      assert.ok(await exists(file), file);
      const running = (await infos()).filter((i) => i.startsWith(`${group}:`));
      assert.ok(running.length > 0 && running.every((i) => i.endsWith(':RUNNING')), running.join(' '));
    }
  });

  test('restart, signal and update leave the registry alone', async () => {
    const files = await snapshot(sv, dirs).then((s) => JSON.parse(s).files);
    const pid = (await sv.client().getProcessInfo('web')).pid;
    let r = await supzcli(['restart', 'web'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'web: stopped\nweb: started\n');
    assert.notEqual((await sv.client().getProcessInfo('web')).pid, pid);
    r = await supzcli(['signal', 'CONT', 'web'], env);
    assert.equal(r.stdout, 'web: signalled\n');
    assert.deepEqual(JSON.parse(await snapshot(sv, dirs)).files, files);
    await writeFile(join(reg, 'newprog.conf'), PROG('newprog'));
    r = await supzcli(['update'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'newprog: added process group\n');
    assert.ok((await infos()).includes('newprog:newprog:STOPPED'));
  });

  test('a start that fails after unparking parks the restored confs again: nothing changed', async () => {
    await writeFile(join(reg, 'r1.conf'), PROG('r1'));
    await writeFile(join(reg, 'r2.conf'), PROG('r2'));
    let r = await supzcli(['update', 'r1', 'r2'], env);
    assert.equal(r.code, 0, r.stderr);
    r = await supzcli(['stop', 'r1', 'r2'], env);
    assert.equal(r.code, 0, r.stderr);
    // r2 is parked from a folder that is no longer a registry: it cannot move back, after r1 has.
    await mkdir(dirname(parkedAt(join(dir, 'gone'), 'r2.conf')), { recursive: true });
    for (const f of ['r2.conf', 'r2.conf.json']) await rename(parkedAt(reg, f), parkedAt(join(dir, 'gone'), f));
    // The notes get a new time when parked again; everything else must be as it was.
    const noNotes = async () => JSON.stringify(JSON.parse(await snapshot(sv, dirs)).files.filter((f: string) => !/\.json:/.test(f)));
    const before = await noNotes();
    r = await supzcli(['start', 'r1', 'r2'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /r1: conf restored to/);
    assert.match(r.stderr, /r1: not loaded; conf parked again/);
    assert.match(r.stderr, /gone, which is no longer a registry/);
    assert.equal(await noNotes(), before);
    assert.ok(!(await infos()).some((i) => /^r[12]:/.test(i)));
    assert.equal(JSON.parse(await readFile(`${parkedAt(reg, 'r1.conf')}.json`, 'utf8')).from, join(reg, 'r1.conf'));
    const last = (await auditLines(state)).at(-1);
    assert.deepEqual([last?.verb, last?.outcome, last?.exit], ['start', 'error', 1]);
  });

  test('version, pid, avail, reread, tail and help answer', async () => {
    assert.match((await supzcli(['version'], env)).stdout, /^4\.\d+/);
    assert.equal((await supzcli(['pid'], env)).stdout, `${sv.pid}\n`);
    assert.equal((await supzcli(['pid', 'idle'], env)).code, 7);
    const ours = await supzcli(['avail'], env);
    assert.equal(ours.stdout, (await supervisorctl(sv, ['avail'])).stdout);
    assert.equal((await supzcli(['reread'], env)).stdout, 'No config updates to processes\n');
    assert.equal((await supzcli(['tail', 'nope'], env)).stdout, 'nope: ERROR (no such process name)\n');
    assert.match((await supzcli(['help'], env)).stdout, /verbs: status start stop/);
  });

  test('exit codes and lines as supervisorctl 4.2.5: spawn error 7, pid and signal of a stopped program 7, maintail (fails without the fix)', async () => {
    // Exits before startsecs, no retries: FATAL, the start answers SPAWN_ERROR.
    await writeFile(join(reg, 'nospawn.conf'), PROG('nospawn').replace('/bin/sleep 1000', '/bin/false').replace('startsecs=0', 'startsecs=1\nstartretries=0'));
    assert.equal((await supzcli(['update', 'nospawn'], env)).code, 0);
    const same = async (args: string[], code: number) => {
      let ours = await supzcli(args, env);
      let theirs = await supervisorctl(sv, args);
      for (let i = 0; i < 8 && ours.stdout !== theirs.stdout; i++) {
        ours = await supzcli(args, env);
        theirs = await supervisorctl(sv, args);
      }
      assert.equal(ours.stdout, theirs.stdout, args.join(' '));
      assert.equal(theirs.code, code, `supervisorctl ${args.join(' ')}`);
      assert.equal(ours.code, code, `supzcli ${args.join(' ')}: ${ours.stderr}`);
    };
    await same(['start', 'nospawn'], 7);
    await same(['pid', 'idle'], 7);
    await same(['signal', 'HUP', 'idle'], 7);
    await same(['maintail', '-300'], 0);
    await same(['maintail', '-1', '-2'], 1);
    await same(['maintail', '-x'], 1);
    await rm(join(reg, 'nospawn.conf'));
    assert.equal((await supzcli(['update', 'nospawn'], env)).code, 0);
  });

  test("maintail -f follows supervisord's log until SIGINT", async () => {
    const child = spawn(process.execPath, [SUPZCLI_BIN, 'maintail', '-f'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the banner', () => out.includes('==> Press Ctrl-C to exit <=='), 20_000);
      // A spawn is logged by supervisord: it must show up in the follow.
      await sv.client().stopProcess('web');
      await sv.client().startProcess('web');
      await waitFor('the new log lines', () => /spawned: 'web'/.test(out.split('Press Ctrl-C')[1] ?? ''), 20_000);
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('supervisord unreachable: the line supervisorctl prints, on stdout, and its exit code (fails without the fix)', async () => {
    const cfg = await writeJson(join(dir, 'dead.json'), { 'project-name': 't', 'state-dir': 'state', supervisor: { 'server-url': `unix://${dir}/gone.sock` } });
    const ctlConf = join(dir, 'dead-ctl.conf');
    await writeFile(ctlConf, `[supervisorctl]\nserverurl=unix://${dir}/gone.sock\n`);
    for (const args of [['status'], ['pid'], ['version'], ['maintail'], ['tail', 'web'], ['stop', 'web'], ['start', 'web']]) {
      const ours = await supzcli(args, { ...env, SUPHA_CONFIG: cfg });
      const theirs = await new Promise<{ code: number; stdout: string }>((resolve) =>
        execFile('supervisorctl', ['-c', ctlConf, ...args], (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout })),
      );
      assert.equal(ours.stdout, theirs.stdout, args.join(' '));
      assert.equal(ours.stdout, `unix://${dir}/gone.sock no such file\n`);
      assert.equal(ours.code, theirs.code, `exit of ${args.join(' ')}`);
    }
  });
});
