import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { SUPZCLI_BIN } from '../helpers/supzcli.js';
import { waitFor, writeJson } from '../helpers/tmp.js';
import { descendants } from './files.js';

// kill -9 of `sup_run.sh update` (its whole process group, as a closed terminal or systemd would)
// at each of its steps: asking supzcli role, checking the new conf with supervisord's parser (the
// temp conf written, not yet in place), supzcli update running, and supzcli update paused between
// removing the changed group and adding it back (SUPHA_TEST_PAUSE_AT). The registry conf is the
// old one or the new one, whole; a rerun converges supervisord to the new one.
const STEPS: { at: string; re: RegExp; pause?: boolean; renamed: boolean }[] = [
  { at: 'supzcli role', re: /supzcli\.js role --for update /, renamed: false },
  { at: "supervisord's parser checks the temp conf", re: /python3? - /, renamed: false },
  { at: 'supzcli update', re: /supzcli\.js update example-app/, renamed: true },
  { at: 'supzcli update, between remove and add', re: /^$/, pause: true, renamed: true },
];

describe('kill -9 of sup_run.sh update between its steps', { timeout: 120_000 }, () => {
  let sv: Supervisord;
  let app: string;
  let env: NodeJS.ProcessEnv;
  const conf = () => readFile(join(sv.registryDir, 'example-app.conf'), 'utf8');
  const run = (action: string) =>
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
    const bin = join(sv.dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'supzcli'), `#!/bin/sh\nexec "${process.execPath}" "${SUPZCLI_BIN}" "$@"\n`);
    await chmod(join(bin, 'supzcli'), 0o755);
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, SUPHA_CONFIG: cfg, SUP_REGISTRY: sv.registryDir };
    const r = await run('start');
    assert.equal(r.code, 0, r.out);
  });
  after(async () => sv?.stop());

  let version = 5;
  for (const step of STEPS) {
    test(`killed while ${step.at}: the conf is old or new, whole; a rerun converges`, async () => {
      const old = await conf();
      const ini = join(app, 'program.ini');
      const text = (await readFile(ini, 'utf8')).replace(/^PROGRAM_STOPWAITSECS=.*$/m, `PROGRAM_STOPWAITSECS=${++version}`);
      await writeFile(ini, text);
      const arm = join(sv.dir, 'pause-update');
      if (step.pause) await writeFile(arm, '');
      const child: ChildProcess = spawn(join(app, 'sup_run.sh'), ['update'], {
        detached: true,
        stdio: 'ignore',
        env: step.pause ? { ...env, SUPHA_TEST_PAUSE_AT: 'update:removed', SUPHA_TEST_PAUSE_FILE: arm } : env,
      });
      const exited = new Promise((r) => child.once('exit', r));
      const pid = child.pid ?? 0;
      if (step.pause) await waitFor('supzcli update to pause', () => readFile(`${arm}.paused`, 'utf8'), 20_000, 10);
      else await waitFor(`sup_run.sh at "${step.at}"`, async () => (await descendants(pid)).some((d) => step.re.test(d.cmd)), 20_000, 5);
      process.kill(-pid, 'SIGKILL');
      await exited;
      await rm(arm, { force: true });
      await rm(`${arm}.paused`, { force: true });

      const now = await conf();
      assert.equal(now.includes(`stopwaitsecs=${version}\n`), step.renamed, `the conf is the ${step.renamed ? 'new' : 'old'} one`);
      if (!step.renamed) assert.equal(now, old, 'the old conf, whole');
      const r = await run('update');
      assert.equal(r.code, 0, r.out);
      assert.match(await conf(), new RegExp(`^stopwaitsecs=${version}$`, 'm'));
      assert.deepEqual(await sv.client().reloadConfig(), { added: [], changed: [], removed: [] }, 'supervisord runs the new conf');
      assert.ok(
        (await sv.client().getAllProcessInfo()).some((p) => p.name === 'example-app'),
        'example-app is loaded',
      );
      const strays = (await readdir(sv.registryDir)).filter((f) => f.startsWith('.'));
      assert.ok(
        strays.every((f) => /^\.example-app\.conf\.\w{6}$/.test(f)),
        `only a killed run's temp conf (invisible to supervisord): ${strays}`,
      );
    });
  }
});
