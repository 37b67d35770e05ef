import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

// supervisord down (stopped) and hung (SIGSTOP) while the agent must act: the agent keeps
// answering, `supha check` and `supha status` say what is wrong, and it converges once
// supervisord is back. One node; a real keepalived alone in its namespace (loneKeepalived).
describe('supervisord down or hung during a transition', { timeout: 120_000 }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let sv: Supervisord;
  let agent: AgentProc;
  let ka: { pid: number; kill(): Promise<void>; stop(): Promise<void> };
  let cfgPath: string;
  let svDir: string;
  let include: string[];
  const states = async () => Object.fromEntries((await sv.client().getAllProcessInfo()).map((p) => [p.name, p.statename]));
  const notify = (state: string) => supha(['--config', cfgPath, 'notify', 'INSTANCE', 'VI_1', state]);
  const timed = async <T>(fn: () => Promise<T>) => {
    const t0 = Date.now();
    const r = await fn();
    return { r, ms: Date.now() - t0 };
  };

  before(async () => {
    tmp = await tempDir('supha-deps-sv-');
    const reg = join(tmp.dir, 'app');
    await mkdir(reg);
    await writeFile(join(reg, 'a.conf'), programConf('a', { command: '/bin/sleep 100000', priority: 10 }));
    await writeFile(join(reg, 'b.conf'), programConf('b', { command: '/bin/sleep 100000', priority: 20 }));
    svDir = join(tmp.dir, 'sv');
    include = [join(reg, '*.conf')];
    sv = await startSupervisord({ dir: svDir, include });
    ka = await loneKeepalived(tmp.dir, join(tmp.dir, 'ka.fifo'));
    await writeFile(join(tmp.dir, 'ka.pid'), `${ka.pid}\n`);
    cfgPath = await writeJson(join(tmp.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': [], 'timeout-ms': 1_500 },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': { app: { 'vrrp-instance': 'VI_1', registry: 'app' } },
        agent: { listen: `127.0.0.1:${await freePort()}`, 'reconcile-interval-ms': 300 },
      },
    });
    agent = await startAgent(cfgPath, join(tmp.dir, 'state', 'agent.sock'));
    assert.equal((await notify('BACKUP')).code, 0);
  });
  after(async () => {
    await agent?.stop();
    await ka?.stop();
    await sv?.stop();
    await tmp?.cleanup();
  });

  test('down when the set becomes MASTER: check and status say so, the agent retries, converges when it is back', async () => {
    await sv.stop();
    assert.equal((await notify('MASTER')).code, 0);
    const c = await waitFor(
      'check to fail naming supervisord',
      async () => {
        const r = await supha(['--config', cfgPath, 'check', 'app']);
        return r.code === 1 && /supervisord/.test(r.stdout) && r;
      },
      10_000,
    );
    assert.equal(c.stdout.trim().split('\n').length, 1, c.stdout);
    const st = await supha(['--config', cfgPath, 'status']);
    assert.match(st.stdout + st.stderr, /supervisord/, 'status names supervisord');
    const passes = (await agent.status()).reconcile.passes as number;
    await waitFor('the agent to keep retrying', async () => (await agent.status()).reconcile.passes >= passes + 3, 10_000);
    sv = await startSupervisord({ dir: svDir, include });
    await waitFor(
      'a and b RUNNING once supervisord is back',
      async () => {
        const s = await states();
        return s.a === 'RUNNING' && s.b === 'RUNNING';
      },
      15_000,
    );
    await waitFor('check to pass', async () => (await supha(['--config', cfgPath, 'check', 'app'])).code === 0, 10_000);
    assert.equal((await agent.status()).sets.app.lastError ?? null, null);
  });

  test('hung (SIGSTOP) when the set is demoted: the agent keeps answering; it converges after SIGCONT', async () => {
    process.kill(sv.pid, 'SIGSTOP');
    try {
      assert.equal((await notify('BACKUP')).code, 0, 'the agent takes the event');
      const st = await timed(() => supha(['--config', cfgPath, 'status']));
      assert.ok(st.ms < 5_000, `supha status answered in ${st.ms} ms`);
      assert.match(st.r.stdout + st.r.stderr, /supervisord/, 'status names supervisord');
      const ch = await timed(() => supha(['--config', cfgPath, 'check', 'app']));
      assert.ok(ch.ms < 3_000, `supha check answered in ${ch.ms} ms: ${ch.r.stdout}${ch.r.stderr}`);
      const s = await timed(() => agent.status());
      assert.ok(s.ms < 3_000, `the agent's status answered in ${s.ms} ms`);
      await waitFor(
        'the pass error to name the timeout',
        async () => /no answer to supervisor\.\w+ within 1500 ms/.test((await agent.status()).sets.app.lastError ?? ''),
        10_000,
      );
    } finally {
      process.kill(sv.pid, 'SIGCONT');
    }
    await waitFor(
      'a and b STOPPED after SIGCONT',
      async () => {
        const s = await states();
        return s.a === 'STOPPED' && s.b === 'STOPPED';
      },
      15_000,
    );
    await waitFor('check to pass', async () => (await supha(['--config', cfgPath, 'check', 'app'])).code === 0, 10_000);
  });
});
