import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { SUPZCLI_BIN } from '../helpers/supzcli.js';
import { waitFor, writeJson } from '../helpers/tmp.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe('sup_run.sh with the example app', () => {
  let sv: Supervisord;
  let app: string;
  let env: NodeJS.ProcessEnv;
  // The app's own copy of sup_run.sh, run from anywhere, as in the seed.
  const supRun = (action: string) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(join(app, 'sup_run.sh'), [action], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
      });
    });

  before(async () => {
    sv = await startSupervisord();
    app = join(sv.dir, 'apps/example-app');
    await mkdir(join(sv.dir, 'apps'), { recursive: true });
    await cp(join(ROOT, 'supervisor/example-app'), app, { recursive: true, dereference: true });
    await cp(join(ROOT, 'scripts/sup_run.sh'), join(app, 'sup_run.sh'));
    const cfg = await writeJson(join(sv.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
    });
    // supzcli on PATH, as operators have it.
    const bin = join(sv.dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'supzcli'), `#!/bin/sh\nexec "${process.execPath}" "${SUPZCLI_BIN}" "$@"\n`);
    await chmod(join(bin, 'supzcli'), 0o755);
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, SUPHA_CONFIG: cfg, SUP_REGISTRY: sv.registryDir };
  });
  after(async () => sv?.stop());

  test('start writes the conf (autostart=false) and runs the app; stop stops it and parks the conf', async () => {
    let r = await supRun('start');
    assert.equal(r.code, 0, r.out);
    const conf = await readFile(join(sv.registryDir, 'example-app.conf'), 'utf8');
    assert.match(conf, /^\[program:example-app\]$/m);
    assert.match(conf, /^autostart=false$/m);
    assert.match(conf, new RegExp(`^command=${app}/app.sh$`, 'm'));
    assert.match(conf, new RegExp(`^directory=${app}$`, 'm'));
    assert.match(r.out, /example-app: added process group\nexample-app: started/);
    await waitFor('example-app running', async () => (await sv.client().getProcessInfo('example-app')).statename === 'RUNNING');
    await waitFor('its output', async () => (await sv.client().readProcessStdoutLog('example-app', 0, 4096)).includes('example-app: alive'));

    r = await supRun('status');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^example-app +RUNNING +pid \d+/);

    r = await supRun('stop');
    assert.equal(r.code, 0, r.out);
    assert.equal(await exists(join(sv.registryDir, 'example-app.conf')), false);
    assert.equal(await readFile(join(sv.dir, 'state/parked', encodeURIComponent(sv.registryDir), 'example-app.conf'), 'utf8'), conf);
    assert.ok(!(await sv.client().getAllProcessInfo()).some((i) => i.name === 'example-app'));
    assert.equal((await supRun('status')).code, 4);

    // Started again: the conf is written afresh, the stale parked copy is set aside.
    r = await supRun('start');
    assert.equal(r.code, 0, r.out);
    assert.equal((await sv.client().getProcessInfo('example-app')).statename === 'STOPPED', false);
    assert.equal(await exists(join(sv.dir, 'state/parked', encodeURIComponent(sv.registryDir), 'example-app.conf')), false);
    r = await supRun('stop');
    assert.equal(r.code, 0, r.out);
  });

  test('a % in the command or the environment is written as %%: supervisord reads it literally', async () => {
    const ini = await readFile(join(app, 'program.ini'), 'utf8');
    await writeFile(join(app, 'program.ini'), `${ini}PROGRAM_RUN=app.sh 100%d\nPROGRAM_ENVIRONMENT=FMT="%s at 50%"\n`);
    try {
      let r = await supRun('start');
      assert.equal(r.code, 0, r.out);
      const conf = await readFile(join(sv.registryDir, 'example-app.conf'), 'utf8');
      assert.match(conf, new RegExp(`^command=${app}/app.sh 100%%d$`, 'm'));
      assert.match(conf, /^environment=FMT="%%s at 50%%"$/m);
      // supervisord still reads the whole config (reloadConfig, as supzcli update runs it).
      assert.deepEqual(await sv.client().reloadConfig(), { added: [], changed: [], removed: [] });
      await waitFor('example-app running', async () => (await sv.client().getProcessInfo('example-app')).statename === 'RUNNING');
      const cmd = await readFile(`/proc/${(await sv.client().getProcessInfo('example-app')).pid}/cmdline`, 'utf8');
      assert.deepEqual(cmd.split('\0').slice(-2), ['100%d', '']);
      const environ = await readFile(`/proc/${(await sv.client().getProcessInfo('example-app')).pid}/environ`, 'utf8');
      assert.ok(environ.split('\0').includes('FMT=%s at 50%'), 'FMT reaches the app as written');
      assert.deepEqual(
        (await readdir(sv.registryDir)).filter((f) => f.startsWith('.')),
        [],
        'no temp file left',
      );
      r = await supRun('stop');
      assert.equal(r.code, 0, r.out);
    } finally {
      await writeFile(join(app, 'program.ini'), ini);
    }
  });

  // Refused with one line, exit 2, and nothing changed: the registry's files and supervisord's.
  const refusedWith = async (ini: string, re: RegExp, mode?: { uid?: number; mode?: number }) => {
    const saved = await readFile(join(app, 'program.ini'), 'utf8');
    await writeFile(join(app, 'program.ini'), ini);
    try {
      if (mode?.uid !== undefined) await chown(join(app, 'program.ini'), mode.uid, 0);
      if (mode?.mode !== undefined) await chmod(join(app, 'program.ini'), mode.mode);
      const files = async () => Promise.all((await readdir(sv.registryDir)).sort().map(async (f) => `${f}:${await readFile(join(sv.registryDir, f), 'utf8')}`));
      const before = await files();
      const procs = JSON.stringify(await sv.client().getAllProcessInfo());
      const r = await supRun('start');
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, re);
      assert.equal(r.out.trim().split('\n').length, 1, r.out);
      assert.deepEqual(await files(), before);
      assert.equal(JSON.stringify(await sv.client().getAllProcessInfo()), procs);
      // supervisord still reads its whole config (it throws when one conf breaks it).
      await sv.client().reloadConfig();
    } finally {
      await chown(join(app, 'program.ini'), 0, 0);
      await chmod(join(app, 'program.ini'), 0o644);
      await writeFile(join(app, 'program.ini'), saved);
    }
  };

  test('refused, nothing changed: a conf of that name defining other programs, values supervisord cuts or cannot split (fails without the fix)', async () => {
    const ini = 'PROGRAM_NAME=example-app\nPROGRAM_RUN=app.sh\n';
    // Someone's hand-made conf under the name sup_run.sh would write.
    await writeFile(join(sv.registryDir, 'example-app.conf'), '[program:other]\ncommand=/bin/sleep 1000\nautostart=false\n');
    try {
      await refusedWith(ini, /example-app\.conf also defines \[program:other\]; not overwriting it/);
    } finally {
      await rm(join(sv.registryDir, 'example-app.conf'));
    }
    await refusedWith(`${ini}PROGRAM_ENVIRONMENT=A=1 ;B=2\n`, /PROGRAM_ENVIRONMENT: supervisord would read 'A=1', not 'A=1 ;B=2'/);
    await refusedWith(`${ini}PROGRAM_STDOUT_LOGFILE="/tmp/x #1.log"\n`, /PROGRAM_STDOUT_LOGFILE: supervisord would read '\/tmp\/x'/);
    await refusedWith(`${ini}PROGRAM_ENVIRONMENT=A="x\n`, /supervisord would refuse this conf: No closing quotation/);
    await refusedWith(`${ini.replace('app.sh', 'app.sh "--x')}`, /supervisord would refuse this conf: No closing quotation/);
    await refusedWith(`${ini}PROGRAM_STARTSECS=soon\n`, /supervisord would refuse this conf: invalid literal/);
  });

  test('a program.ini not owned by root, or writable by others, is refused (fails without the fix)', async () => {
    const ini = await readFile(join(app, 'program.ini'), 'utf8');
    await refusedWith(ini, /program\.ini is owned by uid 65534, not root/, { uid: 65534 });
    await refusedWith(ini, /program\.ini is writable by others \(mode 646\)/, { mode: 0o646 });
  });

  test("docs/supzcli.md's program.ini example, trailing comments and all, works (fails without the fix)", async () => {
    const doc = await readFile(join(ROOT, 'docs/supzcli.md'), 'utf8');
    const example = /```ini\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    assert.match(example, /PROGRAM_NAME=example-app +# required/);
    const saved = await readFile(join(app, 'program.ini'), 'utf8');
    await writeFile(join(app, 'program.ini'), example.replace(/^PROGRAM_PATH=\S+/m, `PROGRAM_PATH=${app}`));
    try {
      let r = await supRun('start');
      assert.equal(r.code, 0, r.out);
      const conf = await readFile(join(sv.registryDir, 'example-app.conf'), 'utf8');
      assert.match(conf, /^\[program:example-app\]$/m);
      assert.match(conf, new RegExp(`^command=${app}/app.sh$`, 'm'));
      assert.match(conf, /^startsecs=1$/m);
      assert.match(conf, /^stopwaitsecs=5$/m);
      assert.match(conf, /^autorestart=true$/m);
      r = await supRun('stop');
      assert.equal(r.code, 0, r.out);
    } finally {
      await writeFile(join(app, 'program.ini'), saved);
    }
  });

  test('a program.ini without PROGRAM_RUN: one line, exit 2, nothing written', async () => {
    await writeFile(join(app, 'program.ini'), 'PROGRAM_NAME=broken\n');
    const r = await supRun('start');
    assert.equal(r.code, 2);
    assert.match(r.out, /PROGRAM_RUN is missing/);
    assert.equal(await exists(join(sv.registryDir, 'broken.conf')), false);
  });
});
