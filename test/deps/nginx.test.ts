import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type Rig, startRig } from '../helpers/bluegreen.js';
import { supha } from '../helpers/cli.js';
import { get } from '../helpers/load.js';
import { waitFor } from '../helpers/tmp.js';

const pexec = promisify(execFile);

// nginx's reload failing (the real binary, pointed at a nginx.conf that is not there, fails with
// its own [emerg]): a switch puts the last good upstream back and the previous roles, the old
// group keeps serving, the standby is stopped again, and the live upstream passes nginx -t.
describe('nginx reload failing during a switch', { timeout: 120_000 }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
    await rig.startNodes('g1', 'g1-backup');
    await waitFor('group1 through nginx', async () => (await get(rig.nginx.url).catch(() => undefined))?.body === 'v1\n');
  });
  after(async () => {
    await rig?.stop();
  });

  // The reload command: the real one, except that the next `failures` reloads fail
  // with nginx's own [emerg] (pointed at a nginx.conf that is not there).
  const useReload = async (failures: number | 'always') => {
    const script = join(rig.sv.dir, 'reload.sh');
    const bad = rig.nginx.reloadCmd.replace(rig.nginx.confPath, `${rig.nginx.confPath}.missing`);
    const count = join(rig.sv.dir, 'reload-failures');
    await writeFile(count, failures === 'always' ? '1000000' : String(failures));
    await writeFile(script, `#!/bin/sh\nn=$(cat ${count})\nif [ "$n" -gt 0 ]; then echo $((n - 1)) > ${count}; exec ${bad}; fi\nexec ${rig.nginx.reloadCmd}\n`);
    await chmod(script, 0o755);
    await rig.writeConfig((c) => {
      c.nginx['nginx-reload-cmd'] = script;
    });
  };
  const nginxT = async () => {
    const [file, ...args] = rig.nginx.testCmd.split(' ');
    await pexec(file as string, args);
  };
  const primary = async () =>
    JSON.parse(await readFile(join(rig.runtimeDir, 'node-group-status.json'), 'utf8').catch(() => '{}')).primary?.['group-name'] ?? 'group1';

  test('one reload fails: the last good upstream is put back and reloaded, the switch rolls back whole', async () => {
    const live = await readFile(rig.nginx.upstreamPath, 'utf8');
    await useReload(1);
    const sw = await supha(['switch', '--to', 'group2', '--config', rig.cfgPath]);
    assert.notEqual(sw.code, 0, sw.stdout);
    assert.match(sw.stderr, /nginx reload: .*nginx\.conf\.missing.*last good upstream put back, nginx reloaded with it/);
    assert.equal(sw.stderr.trim().split('\n').length, 1, sw.stderr);
    assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), live, 'the last good upstream is live');
    await nginxT();
    assert.equal(await primary(), 'group1');
    assert.equal((await get(rig.nginx.url)).body, 'v1\n');
    assert.equal((await rig.sv.client().getProcessInfo('g2')).statename, 'STOPPED', 'the standby stopped again');
    assert.equal((await rig.sv.client().getProcessInfo('g1')).statename, 'RUNNING');
  });

  test('every reload fails: the last good upstream stays live and passes nginx -t; the next switch finishes the rollback', async () => {
    const live = await readFile(rig.nginx.upstreamPath, 'utf8');
    await useReload('always');
    const sw = await supha(['switch', '--to', 'group2', '--config', rig.cfgPath]);
    assert.notEqual(sw.code, 0, sw.stdout);
    assert.match(sw.stderr, /ROLLBACK FAILED too .*the journal is kept, the next supha switch retries it/);
    assert.equal(await readFile(rig.nginx.upstreamPath, 'utf8'), live);
    await nginxT();
    assert.equal((await get(rig.nginx.url)).body, 'v1\n', 'nginx never loaded group2');
    // NOTE: g2 keeps running: whether nginx took a reload is not known, so nothing it may serve is stopped.
    await useReload(0);
    const again = await supha(['switch', '--to', 'group2', '--config', rig.cfgPath]);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.equal(await primary(), 'group2');
    assert.equal((await get(rig.nginx.url)).body, 'v2\n');
    await nginxT();
  });
});
