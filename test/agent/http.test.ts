import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { askAgent } from '../../src/agent/index.js';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { ROOT, SUPHA_BIN, supha } from '../helpers/cli.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../helpers/tmp.js';

const TOKEN = 'http-test-token-42';
const SINK = join(ROOT, 'test/fixtures/alert-sink.mjs');

function call(port: number, method: string, path: string, opts: { token?: string; body?: string } = {}): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += String(d);
      });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

// One real agent (real supervisord with `supha listen` as its event listener, a real keepalived
// alone in its namespace, loneKeepalived): the API's routes and token, /metrics through a Prometheus text
// parser, and ha.alert-command with a fixture command that hangs on transitions.
describe('agent HTTP API, metrics and alerts', { timeout: 120_000 }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let sv: Supervisord;
  let fakeKa: { pid: number; kill(): Promise<void>; stop(): Promise<void> } | undefined;
  let agent: AgentProc;
  let port: number;
  let cfgPath: string;
  let sock: string;
  let alerts: string;
  const alertLines = async () =>
    (await readFile(alerts, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  before(async () => {
    tmp = await tempDir('supha-http-');
    const dir = tmp.dir;
    await mkdir(join(dir, 'web'));
    await mkdir(join(dir, 'bad'));
    await writeFile(join(dir, 'web', 'a.conf'), programConf('a', { command: '/bin/sleep 1000' }));
    await writeFile(join(dir, 'bad', 'c.conf'), programConf('c', { command: '/bin/false', startsecs: 1, startretries: 0 }));
    cfgPath = join(dir, 'config.json');
    const listener = `[eventlistener:supha]\ncommand=${process.execPath} ${SUPHA_BIN} --config ${cfgPath} listen\nevents=PROCESS_STATE,TICK_5\nautostart=true\nautorestart=true\nbuffer_size=100\n`;
    sv = await startSupervisord({ dir, include: [join(dir, 'web', '*.conf'), join(dir, 'bad', '*.conf')], extraConf: listener });
    fakeKa = await loneKeepalived(dir, join(dir, 'ka.fifo'));
    await writeFile(join(dir, 'ka.pid'), `${fakeKa.pid}\n`);
    await writeFile(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    port = await freePort();
    alerts = join(dir, 'alerts.jsonl');
    sock = join(dir, 'state', 'agent.sock');
    await writeJson(cfgPath, {
      'project-name': 'http-test',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': { web: { 'vrrp-instance': 'VI_1', registry: 'web' }, bad: { 'vrrp-instance': 'VI_2', registry: 'bad' } },
        agent: { listen: `127.0.0.1:${port}`, 'token-file': 'token', 'reconcile-interval-ms': 300 },
        'alert-command': [process.execPath, SINK, alerts, 'transition'],
        'alert-timeout-ms': 3_000,
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

  test('a token file others can read, and a non-loopback listen without one, are refused', async () => {
    const dir = tmp.dir;
    await writeFile(join(dir, 'open-token'), `${TOKEN}\n`, { mode: 0o644 });
    const raw = JSON.parse(await readFile(cfgPath, 'utf8'));
    raw['state-dir'] = 'state-open';
    raw.ha.agent = { listen: `127.0.0.1:${await freePort()}`, 'token-file': 'open-token' };
    const open = await writeJson(join(dir, 'open.json'), raw);
    const r = await supha(['--config', open, 'agent']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^supha: ha\.agent\.token-file .*open-token: mode 644 lets others read it; chmod 600 /m);
    raw.ha.agent = { listen: '0.0.0.0:7373' };
    const wide = await writeJson(join(dir, 'wide.json'), raw);
    const c = await supha(['--config', wide, 'config', 'check']);
    assert.equal(c.code, 2, c.stdout + c.stderr);
    assert.match(c.stdout + c.stderr, /ha\.agent\.listen: "0\.0\.0\.0:7373" is not a loopback address: set ha\.agent\.token-file/);
  });

  test('GET /healthz needs no token; /status and every POST need it (401, nothing done)', async () => {
    const h = await call(port, 'GET', '/healthz');
    assert.deepEqual([h.code, JSON.parse(h.body)], [200, { ok: true, node: 'n1' }]);
    assert.equal((await call(port, 'GET', '/status')).code, 401);
    for (const p of ['/hold', '/release', '/sync/pause', '/sync/resume']) {
      assert.equal((await call(port, 'POST', p, { body: '{"reason":"x"}' })).code, 401, p);
      assert.equal((await call(port, 'POST', p, { token: 'nope', body: '{"reason":"x"}' })).code, 401, p);
    }
    assert.deepEqual((await agent.status()).holds, {});
    assert.equal((await call(port, 'GET', '/hold', { token: TOKEN })).code, 405);
    assert.equal((await call(port, 'POST', '/hold', { token: TOKEN, body: '{"set":"nope","reason":"x"}' })).code, 404);
  });

  test('POST /hold, /release, /sync/pause, /sync/resume act as the CLI does (seen on the control socket)', async () => {
    const held = await call(port, 'POST', '/hold', { token: TOKEN, body: '{"set":"web","reason":"api maintenance"}' });
    assert.equal(held.code, 200, held.body);
    const st = await askAgent(sock, { op: 'status' }, 3_000);
    assert.ok(st.ok);
    assert.equal((st.status as { holds: Record<string, { reason: string }> }).holds.web?.reason, 'api maintenance');
    const rel = await call(port, 'POST', '/release', { token: TOKEN, body: '{"set":"web"}' });
    assert.deepEqual([rel.code, JSON.parse(rel.body).released], [200, ['web']]);
    const paused = await call(port, 'POST', '/sync/pause', { token: TOKEN, body: '{"set":"web"}' });
    assert.equal(paused.code, 200, paused.body);
    assert.equal(JSON.parse(paused.body).sync.sets.web.paused, true);
    const resumed = await call(port, 'POST', '/sync/resume', { token: TOKEN, body: '' });
    assert.equal(JSON.parse(resumed.body).sync.sets.web.paused, false);
  });

  test('transitions raise alerts (a hanging command is cut off, the agent goes on); a FATAL program too', async () => {
    for (const [vi, state] of [
      ['VI_1', 'MASTER'],
      ['VI_2', 'MASTER'],
    ]) {
      const r = await supha(['--config', cfgPath, 'notify', 'INSTANCE', vi ?? '', state ?? '', '100']);
      assert.equal(r.code, 0, r.stderr);
    }
    await waitFor('a RUNNING', async () => (await sv.client().getProcessInfo('a')).statename === 'RUNNING', 20_000);
    // Each transition alert hangs its command for the timeout; the API answers meanwhile.
    assert.equal((await call(port, 'GET', '/healthz')).code, 200);
    const lines = await waitFor(
      'transition and program-fatal alerts',
      async () => {
        const l = await alertLines();
        return l.some((e) => e.kind === 'program-fatal') && l.filter((e) => e.kind === 'transition').length >= 2 && l;
      },
      20_000,
    );
    const t = lines.find((e) => e.kind === 'transition' && e.transition.set === 'web');
    assert.equal(t.node, 'n1');
    assert.equal(t.project, 'http-test');
    assert.deepEqual([t.transition.from, t.transition.to], ['UNKNOWN', 'MASTER']);
    assert.match(t.summary, /^transition web: UNKNOWN -> MASTER/);
    const f = lines.find((e) => e.kind === 'program-fatal');
    assert.equal(f.program.name, 'c');
    await waitFor('the hung alert command timed out', () => /alert: .* failed: .*timed out after 3000 ms/.test(agent.logs()), 10_000);
  });

  test('/metrics parses as Prometheus text: supha_* names, counters, histograms, process metrics', async () => {
    const m = await call(port, 'GET', '/metrics');
    assert.equal(m.code, 200);
    const fams = new Map(parsePrometheusTextFormat(m.body).map((f) => [f.name, f]));
    for (const name of fams.keys()) assert.match(name, /^supha_[a-z0-9_]+$/, name);
    for (const f of fams.values()) if (f.type === 'COUNTER') assert.match(f.name, /_total$/, f.name);
    const sample = (name: string, labels: Record<string, string>) =>
      fams.get(name)?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
    assert.equal(fams.get('supha_set_role')?.type, 'GAUGE');
    assert.equal(sample('supha_set_role', { set: 'web', role: 'MASTER' })?.value, '1');
    assert.equal(sample('supha_set_role', { set: 'web', role: 'BACKUP' })?.value, '0');
    assert.equal(sample('supha_set_programs', { set: 'web', state: 'RUNNING' })?.value, '1');
    assert.equal(sample('supha_transitions_total', { set: 'web', from: 'UNKNOWN', to: 'MASTER', outcome: 'ok' })?.value, '1');
    const hist = fams.get('supha_transition_duration_seconds');
    assert.equal(hist?.type, 'HISTOGRAM');
    // NOTE: this parser folds a labelled histogram into its buckets (labels, sum and count dropped).
    assert.ok(Number(hist?.metrics.find((s) => s.buckets !== undefined)?.buckets?.['+Inf']) >= 1);
    assert.ok(Number(fams.get('supha_reconcile_passes_total')?.metrics[0]?.value) > 0);
    assert.ok(Number(sample('supha_keepalived_events_total', { source: 'notify' })?.value) >= 2);
    assert.equal(fams.get('supha_keepalived_up')?.metrics[0]?.value, '1');
    assert.ok(fams.has('supha_process_cpu_seconds_total'), 'collectDefaultMetrics');
    assert.ok(fams.has('supha_nodejs_eventloop_lag_seconds'), 'collectDefaultMetrics');
  });

  test('supha status: programs, then the agent as tables (no colour off a TTY), --json; supervisord down still shows the agent', async () => {
    const r = await supha(['--config', cfgPath, 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^a +RUNNING +pid \d+, uptime/m);
    assert.match(r.stdout, /^SET +INSTANCE +ROLE +DESIRED +VIP +PROGRAMS +WHY$/m);
    assert.match(r.stdout, /^web +VI_1 +MASTER +MASTER +- +1\/1 running /m);
    assert.match(r.stdout, /^AT +SET +FROM +TO +OUTCOME +STARTED +STOPPED +TOOK +TRIGGER +WHY$/m);
    assert.ok(!r.stdout.includes('\u001b['), 'no colour codes when stdout is not a terminal');
    const j = JSON.parse((await supha(['--config', cfgPath, 'status', '--json'])).stdout);
    assert.equal(j.agent.sets.web.role, 'MASTER');
    assert.deepEqual(
      j.agent.sets.web.programList.map((p: { name: string; state: string }) => `${p.name} ${p.state}`),
      ['a RUNNING'],
    );
    assert.ok(j.programs.some((p: { name: string }) => p.name === 'a'));
    await sv.stop();
    const down = await supha(['--config', cfgPath, 'status']);
    assert.equal(down.code, 1);
    assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
    assert.match(down.stderr, /^supha: supervisord at unix:/);
    assert.match(down.stdout, /^agent on n1: keepalived running/m);
    assert.match(down.stdout, /^web +VI_1 +MASTER /m);
  });
});
