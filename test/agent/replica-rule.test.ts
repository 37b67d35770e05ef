import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

// The loop's replica rule (issue 10): with a shared token a non-MASTER loads only confs a
// verified manifest lists. A node that starts UNKNOWN refuses its own unsigned confs, and loads
// them once it is MASTER. (A BACKUP refusing a new unsigned conf: test/sync/netns.test.ts; with no
// peers the agent sees a new conf only at its safety poll.)
describe('the replica rule follows the role', { timeout: 120_000 }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let sv: Supervisord;
  let agent: AgentProc | undefined;
  let ka: { pid: number; kill(): Promise<void>; stop(): Promise<void> };
  let cfgPath: string;
  const reg = () => join(tmp.dir, 'sets', 'own');
  const states = async () => Object.fromEntries((await sv.client().getAllProcessInfo()).map((p) => [p.name, p.statename]));
  const notify = async (state: string) => {
    const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', 'VI_own', state]);
    assert.equal(r.code, 0, r.stderr);
  };
  const refused = async () => ((await agent!.status()).sets.own?.lastApply?.rejected ?? []).map((r: { file: string }) => r.file);

  before(async () => {
    tmp = await tempDir('supha-replica-');
    await mkdir(reg(), { recursive: true });
    await writeFile(join(tmp.dir, 'token'), 'replica-rule-token\n', { mode: 0o600 });
    sv = await startSupervisord({ dir: tmp.dir, include: [join(reg(), '*.conf')] });
    // Written after supervisord's start (its [include] would load it at once): the agent decides.
    await writeFile(join(reg(), 'a1.conf'), programConf('a1', { command: '/bin/sleep 100000' }));
    ka = await loneKeepalived(tmp.dir, join(tmp.dir, 'run/ka.fifo'));
    await writeFile(join(tmp.dir, 'ka.pid'), `${ka.pid}\n`);
    cfgPath = await writeJson(join(tmp.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'run/ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': { own: { 'vrrp-instance': 'VI_own', registry: reg() } },
        agent: { listen: `127.0.0.1:${await freePort()}`, 'reconcile-interval-ms': 300, 'token-file': 'token' },
      },
    });
    agent = await startAgent(cfgPath, join(tmp.dir, 'state', 'agent.sock'));
  });
  after(async () => {
    await agent?.stop();
    await ka?.stop();
    await sv?.stop();
    await tmp?.cleanup();
  });

  test('UNKNOWN refuses an unsigned conf; MASTER loads and starts it; BACKUP stops it', async () => {
    await waitFor('a1 refused while UNKNOWN', async () => (await refused()).includes('a1.conf'), 15_000);
    assert.ok(!('a1' in (await states())), 'a1 not loaded while UNKNOWN');
    await notify('MASTER');
    await waitFor('a1 RUNNING once MASTER', async () => (await states()).a1 === 'RUNNING', 15_000, 50);
    await notify('BACKUP');
    await waitFor('a1 STOPPED on BACKUP', async () => (await states()).a1 === 'STOPPED', 15_000, 50);
  });
});
