import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { filesUnder } from '../chaos/observe.js';
import { programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { supzcli } from '../helpers/supzcli.js';
import { tempDir, writeJson } from '../helpers/tmp.js';

// What supha creates under its state dir holds operators' confs and commands: not for every
// local user. The state dir is made by supha itself here (it does not exist before).
let tmp: { dir: string; cleanup: () => Promise<void> };
let sv: Supervisord;
let cfgPath: string;
before(async () => {
  tmp = await tempDir('supha-modes-');
  const reg = join(tmp.dir, 'registry');
  await mkdir(reg);
  await writeFile(join(reg, 'billing.conf'), programConf('billing', { command: '/bin/sleep 100000' }));
  sv = await startSupervisord({ dir: join(tmp.dir, 'sv'), include: [join(reg, '*.conf')] });
  cfgPath = await writeJson(join(tmp.dir, 'config.json'), {
    'project-name': 'modes',
    'state-dir': 'state',
    supervisor: { 'server-url': sv.url, 'registry-dirs': [reg] },
  });
});
after(async () => {
  await sv?.stop();
  await tmp?.cleanup();
});

test('modes: state dir 0700, audit log and parked confs not world-readable', async () => {
  const r = await supzcli(['--config', cfgPath, 'stop', 'billing']);
  assert.equal(r.code, 0, r.stderr);
  const state = join(tmp.dir, 'state');
  const mode = async (p: string) => (await stat(p)).mode & 0o777;
  const bad: string[] = [];
  if ((await mode(state)) !== 0o700) bad.push(`state dir ${(await mode(state)).toString(8)}`);
  const audit = join(state, 'audit.log');
  if ((await mode(audit)) & 0o004) bad.push(`audit.log ${(await mode(audit)).toString(8)}`);
  const parked = (await filesUnder(join(state, 'parked'))).filter((f) => f.endsWith('.conf'));
  assert.ok(parked.length > 0, 'a parked conf');
  for (const f of parked) if ((await mode(f)) & 0o004) bad.push(`parked ${f.slice(state.length + 1)} ${(await mode(f)).toString(8)}`);
  assert.deepEqual(bad, []);
});
