import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { run } from '../../src/util/exec.js';
import { ROOT } from '../helpers/cli.js';
import { forwardIntoNamespace } from '../helpers/forward.js';
import { waitFor } from '../helpers/tmp.js';
import { type DemoHost, type DemoPair, type DemoSet, SET_LIST, SET_PROGRAMS, startDemoPair } from './pair.js';

// `scripts/demo.sh`: the whole story on two namespace hosts built from the shipped examples.
// Each step is printed as it happens; the last lines are the summary table. Exit 0 only when
// every step did what it says.
const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    prefix: { type: 'string' },
    // Outside the temp folder (the only file the demo leaves, overwritten by the next run).
    screenshot: { type: 'string', default: '/tmp/supha-demo-status.png' },
    'no-screenshot': { type: 'boolean', default: false },
  },
});

const t0 = Date.now();
const bold = process.stdout.isTTY ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;
const say = (s: string) => console.log(`\n${bold(`== ${s}`)}`);
const info = (s: string) => console.log(s.replace(/^/gm, '   '));
const rows: { step: string; result: 'ok' | 'FAILED'; figure: string }[] = [];
const record = (step: string, ok: boolean, figure: string) => rows.push({ step, result: ok ? 'ok' : 'FAILED', figure });

type Where = Record<DemoSet, string[]>;

// Which hosts run each set now: every program of the set RUNNING there (supervisord says).
async function where(pair: DemoPair): Promise<Where> {
  const out: Where = { app: [], batch: [] };
  for (const h of pair.hosts) {
    const info = await h.sv
      .client({ timeoutMs: 1_000 })
      .getAllProcessInfo()
      .catch(() => []);
    const running = new Set(info.filter((p) => p.statename === 'RUNNING').map((p) => p.name));
    for (const set of SET_LIST) if (SET_PROGRAMS[set].every((p) => running.has(p))) out[set].push(h.name);
  }
  return out;
}
const show = (w: Where) => SET_LIST.map((s) => `${s} on ${w[s].join('+') || 'none'}`).join(', ');
const only = (w: Where, app: string, batch: string) => w.app.join() === app && w.batch.join() === batch;

async function cli(pair: DemoPair, h: DemoHost, bin: 'supha' | 'supzcli', args: string[], timeoutMs = 60_000) {
  const [file, ...rest] = pair.cli(h, bin, args);
  return run(file ?? 'ip', rest, { timeoutMs, reject: false });
}

// A load of GETs through node-a's Nginx, run inside node-a (Nginx listens on its loopback).
async function startLoadIn(
  pair: DemoPair,
  h: DemoHost,
  url: string,
): Promise<{ stop(): Promise<{ ok: number; failed: number; reasons: Record<string, number>; bodies: Record<string, number> }> }> {
  const argv = [...pair.net.wrap(h.host), process.execPath, join(ROOT, 'dist/test/demo/load.js'), url, '4'];
  const child: ChildProcess = spawn(argv[0] ?? 'ip', argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  await waitFor('the load to start', () => out.includes('started'), 10_000);
  return {
    async stop() {
      const exited = once(child, 'exit');
      child.stdin?.end();
      await exited;
      return JSON.parse(out.split('\n').filter(Boolean).at(-1) ?? '{}');
    },
  };
}

async function addresses(pair: DemoPair, h: DemoHost): Promise<string> {
  const r = await run(...inNs(pair, h, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']));
  return [...r.stdout.matchAll(/inet (\S+)\//g)].map((m) => m[1]).join(' ');
}

async function throughNginx(pair: DemoPair, h: DemoHost): Promise<string> {
  const url = h.nginx?.url ?? '';
  const r = await run(...inNs(pair, h, ['curl', '-s', '--max-time', '3', url]));
  return r.stdout.trim() || `(no answer: ${r.stderr.trim()})`;
}
const inNs = (pair: DemoPair, h: DemoHost, argv: string[]): [string, string[], { timeoutMs: number; reject: false }] => {
  const [f, ...a] = [...pair.net.wrap(h.host), ...argv];
  return [f ?? 'ip', a, { timeoutMs: 10_000, reject: false }];
};

async function screenshot(pair: DemoPair, h: DemoHost, dir: string, path: string): Promise<void> {
  const { chromium } = await import('playwright-core');
  const fwd = await forwardIntoNamespace(pair.net.wrap(h.host), 7373, dir, h.name, h.host.ip);
  try {
    await mkdir(join(dir, 'profile'), { recursive: true });
    const browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1200, height: 900 },
      extraHTTPHeaders: { Authorization: `Bearer ${pair.token}` },
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${fwd.port}/`);
      await page.locator('tr[data-set="app"] .role', { hasText: 'MASTER' }).waitFor({ timeout: 15_000 });
      await page.screenshot({ path, fullPage: true });
    } finally {
      await browser.close();
    }
  } finally {
    await fwd.close();
  }
}

async function story(pair: DemoPair, dir: string): Promise<void> {
  const [a, b] = pair.hosts;
  const shared = { step: '' };
  const step = (s: string) => {
    shared.step = s;
    say(s);
  };

  step("1. the set runs on A: app on node-a, batch on node-b (the examples' priorities), each replicated to the other");
  const ready = Date.now();
  const w1 = await waitFor(
    'app on node-a, batch on node-b',
    async () => {
      const w = await where(pair);
      return only(w, 'node-a', 'node-b') && w;
    },
    60_000,
    100,
  );
  await waitFor(
    'the replicas on both hosts',
    async () => {
      await access(join(b.registry.app, 'web.conf'));
      await access(join(a.registry.batch, 'worker.conf'));
      return true;
    },
    30_000,
    100,
  );
  info(`${show(w1)} (${Date.now() - ready} ms after keepalived started)`);
  info(`addresses: node-a ${await addresses(pair, a)}; node-b ${await addresses(pair, b)} (VIPs 198.18.0.100 app, .101 batch)`);
  info(`supzcli status on node-a:\n${(await cli(pair, a, 'supzcli', ['status'])).stdout.trimEnd().replace(/^/gm, '  ')}`);
  record('app on A, batch on B', true, show(w1));

  step("2. `supzcli stop api` on A reaches B's replica (parked, unloaded there)");
  const t2 = Date.now();
  const stop = await cli(pair, a, 'supzcli', ['stop', 'api']);
  const cliMs = Date.now() - t2;
  info(`supzcli stop api (${cliMs} ms): exit ${stop.exitCode}\n${stop.stdout.trim()}`);
  await waitFor(
    "api gone from B's replica and B's supervisord",
    async () => {
      const gone = await access(join(b.registry.app, 'api.conf')).then(
        () => false,
        () => true,
      );
      const names = (await b.sv.client().getAllProcessInfo()).map((p) => p.name);
      return gone && !names.includes('api');
    },
    20_000,
    50,
  );
  const stopMs = Date.now() - t2;
  info(`on B ${stopMs} ms after the command (${stopMs - cliMs} ms after it returned): api.conf gone from B's replica, api not in B's supervisord`);
  const back = await cli(pair, a, 'supzcli', ['start', 'api']);
  info(`supzcli start api: exit ${back.exitCode}\n${back.stdout.trim()}`);
  await waitFor("api back in B's replica", () => access(join(b.registry.app, 'api.conf')).then(() => true), 20_000, 50);
  await waitFor('app whole again on node-a', async () => only(await where(pair), 'node-a', 'node-b'), 20_000, 100);
  record('supzcli stop on A reaches B', stop.exitCode === 0, `${stopMs} ms (${stopMs - cliMs} ms after supzcli returned)`);

  step('3. A is cut off (its bridge port down): B takes over app');
  const t3 = Date.now();
  await pair.net.cut(a.host);
  await waitFor('app running on node-b', async () => (await where(pair)).app.includes('node-b'), 30_000, 20);
  const takeoverMs = Date.now() - t3;
  const w3 = await where(pair);
  info(`B runs app ${takeoverMs} ms after the cut; now: ${show(w3)}`);
  const aRuns = SET_LIST.filter((s) => w3[s].includes('node-a'));
  info(`node-a, cut off, runs ${aRuns.join(', ') || 'nothing'}: its eth0 lost carrier, keepalived put both instances in FAULT`);
  record('A cut off, B takes over', true, `${takeoverMs} ms (A runs ${aRuns.join(', ') || 'nothing'})`);

  step('4. A comes back: app returns to A (higher priority), batch stays on B, each set on one host');
  const t4 = Date.now();
  await pair.net.restore(a.host);
  const w4 = await waitFor(
    'app only on node-a, batch only on node-b',
    async () => {
      const w = await where(pair);
      return only(w, 'node-a', 'node-b') && w;
    },
    30_000,
    50,
  );
  const backMs = Date.now() - t4;
  info(`${show(w4)}, ${backMs} ms after A came back`);
  record('A comes back', true, `${backMs} ms to one host per set`);

  step('5. blue/green on node-a under load: `supha switch --upgrade v2` (group2 gets release v2, then the traffic)');
  const started = await cli(pair, a, 'supha', ['nodes', 'start']);
  info(`supha nodes start: exit ${started.exitCode} ${started.stdout.trim().split('\n').at(-1) ?? ''}`);
  await waitFor('v1 through Nginx', async () => (await throughNginx(pair, a)) === 'v1', 20_000, 100);
  info(`through Nginx: ${await throughNginx(pair, a)}`);
  const url = a.nginx?.url ?? '';
  const load5 = await startLoadIn(pair, a, url);
  const sw = await cli(pair, a, 'supha', ['switch', '--upgrade', 'v2']);
  const r5 = await load5.stop();
  info(`supha switch --upgrade v2: exit ${sw.exitCode}: ${(sw.stdout.trim().split('\n').at(-1) ?? '') || sw.stderr.trim()}`);
  info(
    `load during the switch: ${r5.ok + r5.failed} requests, ${r5.failed} failed${r5.failed ? ` ${JSON.stringify(r5.reasons)}` : ''}; served ${JSON.stringify(r5.bodies)}`,
  );
  info(`through Nginx: ${await throughNginx(pair, a)}`);
  record('blue/green switch under load', sw.exitCode === 0 && r5.failed === 0, `${r5.failed} failed of ${r5.ok + r5.failed}`);

  step('6. a broken release: `supha switch --upgrade v3-broken` (group1 answers 503) rolls back by itself');
  const load6 = await startLoadIn(pair, a, url);
  const bad = await cli(pair, a, 'supha', ['switch', '--upgrade', 'v3-broken']);
  const r6 = await load6.stop();
  const why = bad.stderr.trim().split('\n').at(-1) ?? '';
  info(`supha switch --upgrade v3-broken: exit ${bad.exitCode}: ${why}`);
  info(`load meanwhile: ${r6.ok + r6.failed} requests, ${r6.failed} failed; served ${JSON.stringify(r6.bodies)}`);
  const still = await throughNginx(pair, a);
  info(`through Nginx, still: ${still}`);
  record(
    'broken release rolled back',
    bad.exitCode === 1 && /rolled back/.test(why) && still === 'v2' && r6.failed === 0,
    `exit 1, still v2, ${r6.failed} failed`,
  );

  if (!values['no-screenshot']) {
    step('7. the status page of node-a (headless Chromium)');
    await screenshot(pair, a, dir, values.screenshot ?? '');
    info(`screenshot: ${values.screenshot}`);
    record('status page', true, values.screenshot ?? '');
  }
}

async function main(): Promise<number> {
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'supha-demo-')));
  say(`two hosts from the shipped examples (conf/node-a.json, node-b.json, keepalived/node-*.conf, supervisor/, conf/rsyncd.conf.example) in ${dir}`);
  let pair: DemoPair | undefined;
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${sig}: stopping every daemon and deleting the namespaces`);
    void (pair?.destroy() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  try {
    pair = await startDemoPair(dir, values.prefix);
    info(
      `namespaces ${pair.net.prefix}-h1 (node-a ${pair.hosts[0].host.ip}), ${pair.net.prefix}-h2 (node-b ${pair.hosts[1].host.ip}), ${pair.net.prefix}-br (the bridge); each host runs supervisord, keepalived, rsync --daemon and supha agent; node-a also Nginx`,
    );
    await story(pair, dir);
  } catch (err) {
    if (stopping) return 130;
    console.error(`\ndemo failed: ${(err as Error).message}`);
    for (const h of pair?.hosts ?? []) {
      const lines = (h.agent?.logs() ?? '').split('\n').filter((l) => /"level":(40|50|60)/.test(l));
      for (const l of lines.slice(-6)) console.error(`   ${h.name} agent: ${l.slice(0, 400)}`);
    }
    record('(stopped)', false, (err as Error).message.slice(0, 80));
  } finally {
    if (!stopping) await pair?.destroy();
  }
  if (stopping) return 130;
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  say(`summary (${secs} s)`);
  const w = [Math.max(4, ...rows.map((r) => r.step.length)), 6, Math.max(8, ...rows.map((r) => r.figure.length))];
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(w[i] ?? 0)).join(' | ')} |`;
  console.log(line(['step', 'result', 'measured']));
  console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  for (const r of rows) console.log(line([r.step, r.result, r.figure]));
  return rows.every((r) => r.result === 'ok') && rows.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(70);
  },
);
