import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/util/exec.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// What docs/install.md tells operators: `npm pack`, then `npm install -g` of the tarball gives
// both bins, and they run. Dependencies come from npm's cache (filled by setup's npm ci).
test('npm pack gives a tarball that installs supha and supzcli, with the example files', async () => {
  const { dir, cleanup } = await tempDir('supha-pack-');
  try {
    await run('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, timeoutMs: 120_000 });
    const tgz = join(dir, 'supha-0.1.0.tgz');
    const prefix = join(dir, 'root');
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tgz], { timeoutMs: 240_000 });
    const pkg = join(prefix, 'lib/node_modules/supha');
    for (const f of [
      'conf/node-a.json',
      'keepalived/node-b.conf',
      'supervisor/supervisord.conf.example',
      'scripts/supha-agent.service',
      'scripts/sup_run.sh',
    ]) {
      assert.ok(existsSync(join(pkg, f)), `${f} is in the package`);
    }
    assert.ok(!existsSync(join(pkg, 'dist/test')), 'tests stay out of the package');
    // node-a.json names /etc/supha's secret files, which config check wants to exist: the bin
    // runs and reads the shipped config far enough to say exactly that.
    const check = await run(join(prefix, 'bin/supha'), ['config', 'check', '--config', join(pkg, 'conf/node-a.json')], { timeoutMs: 30_000, reject: false });
    assert.ok(check.exitCode === 0 || /token-file: \/etc\/supha\/agent\.token/.test(check.stderr), check.stderr);
    const help = await run(join(prefix, 'bin/supha'), ['--help'], { timeoutMs: 30_000 });
    assert.match(help.stdout, /supha doctor/);
    const z = await run(join(prefix, 'bin/supzcli'), ['--help'], { timeoutMs: 30_000, reject: false });
    assert.match(z.stdout + z.stderr, /usage: supzcli/);
  } finally {
    await cleanup();
  }
});
