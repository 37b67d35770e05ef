import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { filesUnder } from '../chaos/observe.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { SUPZCLI_BIN, supzcli } from '../helpers/supzcli.js';
import { tempDir, waitFor, writeJson } from '../helpers/tmp.js';

// kill -9 of `supzcli stop X` / `supzcli start X` at a sweep of moments (so between each of
// their steps: stop, removeProcessGroup, park / unpark, reloadConfig, add, start); the next
// run converges, and the conf is never lost (in the registry or the parked store, by content).
const CONF = '[program:victim]\ncommand=/bin/sleep 100000\nautostart=false\nstartsecs=0\nstopwaitsecs=2\n; kill9 marker\n';
let tmp: { dir: string; cleanup: () => Promise<void> };
let sv: Supervisord;
let cfgPath: string;
let reg: string;

before(async () => {
  tmp = await tempDir('supha-kill9-');
  reg = join(tmp.dir, 'registry');
  await mkdir(reg);
  await writeFile(join(reg, 'victim.conf'), CONF);
  sv = await startSupervisord({ dir: join(tmp.dir, 'sv'), include: [join(reg, '*.conf')] });
  cfgPath = await writeJson(join(tmp.dir, 'config.json'), {
    'project-name': 'kill9',
    'state-dir': 'state',
    supervisor: { 'server-url': sv.url, 'registry-dirs': [reg] },
  });
});
after(async () => {
  await sv?.stop();
  await tmp?.cleanup();
});

// How many files under the worktree of this test hold the conf (by content).
async function copies(): Promise<number> {
  let n = 0;
  for (const f of [...(await filesUnder(reg)), ...(await filesUnder(join(tmp.dir, 'state')))]) {
    if ((await readFile(f, 'utf8').catch(() => '')) === CONF) n++;
  }
  return n;
}

const state = async () => (await sv.client().getAllProcessInfo()).find((p) => p.name === 'victim')?.statename ?? 'absent';

// Runs supzcli VERB victim and SIGKILLs it after ms (it may have finished by then).
async function killedAfter(verb: string, ms: number): Promise<void> {
  const child = spawn(process.execPath, [SUPZCLI_BIN, '--config', cfgPath, verb, 'victim'], { stdio: 'ignore' });
  const done = new Promise((r) => child.once('exit', r));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await done;
  clearTimeout(timer);
}

test('kill -9 of supzcli stop/start at 0-1500 ms: the rerun converges, the conf is never lost', { timeout: 600_000 }, async () => {
  const seen: string[] = [];
  for (let ms = 0; ms <= 1500; ms += 100) {
    // stop, killed; the conf exists; a rerun of stop leaves it parked and out of supervisord.
    await killedAfter('stop', ms);
    assert.ok((await copies()) >= 1, `conf lost after stop killed at ${ms} ms`);
    seen.push(`stop@${ms}:${await state()}`);
    const r1 = await supzcli(['--config', cfgPath, 'stop', 'victim']);
    await waitFor(
      `victim gone after the rerun of stop (killed at ${ms} ms; rerun said ${r1.code} ${r1.stderr.trim()})`,
      async () => (await state()) === 'absent',
      10_000,
    );
    assert.equal(await copies(), 1, `exactly one copy after stop (killed at ${ms} ms)`);
    // start, killed; a rerun of start leaves it RUNNING from the registry.
    await killedAfter('start', ms);
    assert.ok((await copies()) >= 1, `conf lost after start killed at ${ms} ms`);
    seen.push(`start@${ms}:${await state()}`);
    const r2 = await supzcli(['--config', cfgPath, 'start', 'victim']);
    await waitFor(
      `victim RUNNING after the rerun of start (killed at ${ms} ms; rerun said ${r2.code} ${r2.stderr.trim()})`,
      async () => (await state()) === 'RUNNING',
      10_000,
    );
    assert.equal(await readFile(join(reg, 'victim.conf'), 'utf8'), CONF);
  }
  // The sweep hit the middle of the commands, not only before and after them.
  assert.ok(new Set(seen.map((s) => s.split(':')[1])).size >= 2, seen.join(' '));
});
