import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

function get(port: number, path: string, token?: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += String(d);
      });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// One node: a real keepalived alone in its own namespace (loneKeepalived: its pid file names it, it
// holds the FIFO, for an instance no set follows); events come through `supha notify` and the FIFO.
describe('supha agent on one node', () => {
  let sv: Supervisord;
  let tmp: { dir: string; cleanup: () => Promise<void> } | undefined;
  let agent: AgentProc | undefined;
  let fakeKa: { pid: number; kill(): Promise<void>; stop(): Promise<void> };
  let cfgPath: string;
  let sock: string;
  let fifo: string;
  let port: number;
  const token = 'sekrit-token-123';
  const states = async () => Object.fromEntries((await sv.client().getAllProcessInfo()).map((p) => [p.name, p.statename]));

  before(async () => {
    tmp = await tempDir('supha-agent-');
    const web = join(tmp.dir, 'web');
    const bad = join(tmp.dir, 'bad');
    await mkdir(web);
    await mkdir(bad);
    await writeFile(join(web, 'a.conf'), programConf('a', { command: '/bin/sleep 1000', priority: 10 }));
    await writeFile(join(web, 'b.conf'), programConf('b', { command: '/bin/sleep 1000', priority: 20 }));
    await writeFile(join(bad, 'c.conf'), programConf('c', { command: '/bin/false', startsecs: 1, startretries: 0 }));
    sv = await startSupervisord({ dir: tmp.dir, include: [join(web, '*.conf'), join(bad, '*.conf')], programs: { outsider: { command: '/bin/sleep 1000' } } });
    await sv.client().startProcess('outsider');
    fakeKa = await loneKeepalived(tmp.dir, join(sv.dir, 'run/ka.fifo'));
    await writeFile(join(sv.dir, 'ka.pid'), `${fakeKa.pid}\n`);
    await writeFile(join(sv.dir, 'token'), `${token}\n`, { mode: 0o600 });
    port = await freePort();
    sock = join(sv.dir, 'state', 'agent.sock');
    fifo = join(sv.dir, 'run', 'ka.fifo');
    cfgPath = await writeJson(join(sv.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'run/ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': { web: { 'vrrp-instance': 'VI_1', registry: 'web' }, bad: { 'vrrp-instance': 'VI_2', registry: 'bad' } },
        agent: { listen: `127.0.0.1:${port}`, 'token-file': 'token', 'reconcile-interval-ms': 300 },
      },
    });
    agent = await startAgent(cfgPath, sock);
  });
  after(async () => {
    await agent?.stop();
    await fakeKa?.stop();
    await sv?.stop();
    await tmp?.cleanup();
  });

  test('notify MASTER starts the set in priority order; the FIFO BACKUP stops it; others untouched', async () => {
    const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', 'VI_1', 'MASTER', '100']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('a and b RUNNING', async () => {
      const s = await states();
      return s.a === 'RUNNING' && s.b === 'RUNNING';
    });
    // supervisord's own log orders the spawns (its `start` stamps are whole seconds).
    const log = await readFile(join(sv.dir, 'supervisord.log'), 'utf8');
    const spawned = (n: string) => log.lastIndexOf(`spawned: '${n}' with pid`);
    assert.ok(spawned('a') >= 0 && spawned('b') >= 0, 'both spawns logged');
    assert.ok(spawned('a') < spawned('b'), 'a (priority 10) is spawned before b (20)');
    await writeFile(fifo, 'INSTANCE "VI_1" BACKUP 100\n');
    await waitFor('a and b STOPPED', async () => {
      const s = await states();
      return s.a === 'STOPPED' && s.b === 'STOPPED';
    });
    assert.equal((await states()).outsider, 'RUNNING');
    // The pass records its transition a moment after supervisord reports the programs stopped.
    const st = await waitFor('the agent to record BACKUP', async () => {
      const x = await agent!.status();
      return x.sets.web.role === 'BACKUP' && x;
    });
    assert.ok(st.transitions.some((t: any) => t.set === 'web' && t.to === 'MASTER' && t.started === 2));
    const shown = await supha(['--config', cfgPath, 'status']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /agent on n1: keepalived running/);
    assert.match(shown.stdout, /^web +VI_1 +BACKUP /m);
    assert.match(shown.stdout, / web +MASTER +BACKUP +ok +0 +2 +[\d.]+ ms +[^ ]*fifo:BACKUP/);
  });

  test('malformed input is refused with one line and changes nothing', async () => {
    await writeFile(fifo, 'garbage line\nINSTANCE "VI_1" SLEEPY 100\n');
    const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', 'VI_1', 'SLEEPY']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown state "SLEEPY"/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    await waitFor('the malformed lines logged', () => /malformed line ignored/.test(agent!.logs()));
    assert.equal((await agent!.status()).sets.web.desired, 'BACKUP');
  });

  test('HTTP API: token on /status and /v1/role, none on /metrics', async () => {
    assert.equal((await get(port, '/status')).code, 401);
    assert.equal((await get(port, '/status', 'wrong-token-xyz')).code, 401);
    const st = await get(port, '/status', token);
    assert.equal(st.code, 200);
    assert.equal(JSON.parse(st.body).node, 'n1');
    const role = await get(port, '/v1/role?set=web', token);
    assert.deepEqual(JSON.parse(role.body), { node: 'n1', set: 'web', role: 'BACKUP' });
    assert.equal((await get(port, '/v1/role?set=nope', token)).code, 404);
    const m = await get(port, '/metrics');
    assert.equal(m.code, 200);
    assert.match(m.body, /supha_set_role\{set="web",role="BACKUP"\} 1/);
    assert.match(m.body, /supha_keepalived_up 1/);
    assert.ok(!agent!.logs().includes(token), 'the token is never logged');
  });

  test('hold: transitions logged, not acted on; survives a restart; release acts', async () => {
    let r = await supha(['--config', cfgPath, 'hold', '--set', 'web', '--reason', 'maintenance']);
    assert.equal(r.code, 0, r.stderr);
    await writeFile(fifo, 'INSTANCE "VI_1" MASTER 100\n');
    await waitFor('a held transition', async () => (await agent!.status()).transitions.some((t: any) => t.outcome === 'held' && t.to === 'MASTER'));
    assert.equal((await states()).a, 'STOPPED');
    assert.equal(await agent!.stop(), 0);
    agent = await startAgent(cfgPath, sock);
    assert.equal((await agent.status()).holds.web.reason, 'maintenance');
    const second = await supha(['--config', cfgPath, 'agent']);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /another agent already answers on/);
    await writeFile(fifo, 'INSTANCE "VI_1" MASTER 100\n');
    await waitFor('the event seen', async () => (await agent!.status()).sets.web.desired === 'MASTER');
    // Two whole reconcile passes after the event: a start, had the hold been lost, would be done.
    const passes = (await agent.status()).reconcile.passes as number;
    await waitFor('two more reconcile passes', async () => (await agent!.status()).reconcile.passes >= passes + 2);
    assert.equal((await states()).a, 'STOPPED');
    r = await supha(['--config', cfgPath, 'check', 'web']);
    assert.equal(r.code, 0, 'held, so not acting as MASTER: healthy');
    r = await supha(['--config', cfgPath, 'release']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /released web/);
    await waitFor('a and b RUNNING after release', async () => {
      const s = await states();
      return s.a === 'RUNNING' && s.b === 'RUNNING';
    });
  });

  test('check: 0 when all RUNNING, 1 when a program of the MASTER set is down', async () => {
    let r = await supha(['--config', cfgPath, 'check', 'web']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await supha(['--config', cfgPath, 'hold', '--set', 'web', '--reason', 'test check']);
    await sv.client().stopProcess('b');
    r = await supha(['--config', cfgPath, 'check', 'web']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /b STOPPED/);
    await supha(['--config', cfgPath, 'release', '--set', 'web']);
    await waitFor('b repaired by the loop', async () => (await states()).b === 'RUNNING');
  });

  test('a FATAL program sets its set track file to 1, a healthy set is 0', async () => {
    await supha(['--config', cfgPath, 'notify', 'INSTANCE', 'VI_2', 'MASTER']);
    const track = join(sv.dir, 'state', 'track');
    await waitFor('track/bad = 1', async () => (await readFile(join(track, 'bad'), 'utf8')).trim() === '1', 15_000);
    // web was unhealthy while b was down (a MASTER not running its whole set); repaired, it is 0.
    await waitFor('track/web = 0', async () => (await readFile(join(track, 'web'), 'utf8')).trim() === '0');
  });

  test('keepalived gone = not MASTER: the set stops', async () => {
    await fakeKa.kill();
    await waitFor('a and b STOPPED', async () => {
      const s = await states();
      return s.a === 'STOPPED' && s.b === 'STOPPED';
    });
    const st = await waitFor('the agent to record STOP', async () => {
      const x = await agent!.status();
      return x.sets.web.role === 'STOP' && x;
    });
    assert.equal(st.keepalived.alive, false);
    assert.equal((await states()).outsider, 'RUNNING');
  });

  test('SIGTERM stops the agent cleanly; then notify says no agent (exit 4)', async () => {
    assert.equal(await agent!.stop(), 0);
    agent = undefined;
    const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', 'VI_1', 'MASTER']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /not running/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    // check without an agent asks supervisord: none of the set running is healthy, a mix is not.
    let c = await supha(['--config', cfgPath, 'check', 'web']);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /no agent; 0 of 2 programs RUNNING/);
    await sv.client().startProcess('a');
    c = await supha(['--config', cfgPath, 'check', 'web']);
    assert.equal(c.code, 1, c.stdout);
    c = await supha(['--config', cfgPath, 'check', 'nope']);
    assert.equal(c.code, 2);
  });
});
