// The agent at 500 programs (startsecs=0) on one node: idle CPU (no events, timer only), takeover
// (MASTER event -> all RUNNING) beside `supervisorctl start all` in the same run, peak RSS.
// Real supervisord with `supha listen`, a real agent, a keepalived stand-in process (only "alive"
// matters here). Run: node dist/bench/scale.js [programs] [runs]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../src/util/exec.js';
import { startAgent } from '../test/helpers/agent.js';
import { SUPHA_BIN, supha } from '../test/helpers/cli.js';
import { keepalivedStandIn } from '../test/helpers/keepalived.js';
import { startSupervisord } from '../test/helpers/supervisord.js';
import { freePort, tempDir, waitFor, writeJson } from '../test/helpers/tmp.js';

const COUNT = Number(process.argv[2] ?? 500);
const RUNS = Number(process.argv[3] ?? 3);
const IDLE_S = Number(process.env.IDLE_S ?? 25);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const ticks = async (pid: number) => {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};
const hwm = async (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const tmp = await tempDir('supha-scale-');
const programs = Object.fromEntries(Array.from({ length: COUNT }, (_, i) => [`p${i}`, { command: '/bin/sleep 100000', startsecs: 0 }]));
const cfgPath = join(tmp.dir, 'config.json');
const listener = `[eventlistener:supha]\ncommand=${process.execPath} ${SUPHA_BIN} --config ${cfgPath} listen\nevents=PROCESS_STATE,TICK_5\nautostart=true\nautorestart=true\nbuffer_size=1000\n`;
const sv = await startSupervisord({ dir: tmp.dir, programs, extraConf: listener });
const ka = await keepalivedStandIn(tmp.dir);
await writeFile(join(tmp.dir, 'ka.pid'), `${ka.pid}\n`);
await writeJson(cfgPath, {
  'project-name': 'scale',
  'state-dir': 'state',
  supervisor: { 'server-url': sv.url, 'registry-dirs': [sv.registryDir] },
  ha: {
    keepalived: { 'notify-fifo': 'ka.fifo', 'pid-file': 'ka.pid' },
    'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry: sv.registryDir } },
    agent: { listen: `127.0.0.1:${await freePort()}` },
  },
});
const agent = await startAgent(cfgPath, join(tmp.dir, 'state', 'agent.sock'));
const client = sv.client({ timeoutMs: 30_000 });
const running = async () => (await client.getAllProcessInfo()).filter((p) => p.group !== 'supha' && p.statename === 'RUNNING').length;
const notify = (state: string) => supha(['--config', cfgPath, 'notify', 'INSTANCE', 'VI_APP', state]);
try {
  await notify('BACKUP');
  await waitFor('the listener to be heard', async () => (await agent.status()).reconcile.listener === true, 30_000);
  await new Promise((r) => setTimeout(r, 5_000));
  const hz = Number((await run('getconf', ['CLK_TCK'], { timeoutMs: 5_000 })).stdout.trim()) || 100;
  const t0 = await ticks(agent.pid);
  const reads0 = (await agent.status()).reconcile.processReads;
  await new Promise((r) => setTimeout(r, IDLE_S * 1_000));
  const idle = ((await ticks(agent.pid)) - t0) / hz / IDLE_S;
  const reads = (await agent.status()).reconcile.processReads - reads0;
  const takeover: number[] = [];
  const ctl: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await notify('MASTER');
    await waitFor('all RUNNING', async () => (await running()) === COUNT, 120_000, 100);
    takeover.push(performance.now() - t);
    const tr = (await agent.status()).transitions.filter((x: { to: string }) => x.to === 'MASTER').at(-1);
    if (tr) console.log(`run ${i + 1}: the MASTER pass took ${tr.ms} ms, of which supervisord's start calls ${tr.supervisordMs ?? '?'} ms`);
    await notify('BACKUP');
    await waitFor('all stopped', async () => (await running()) === 0, 120_000, 100);
    // Held, the agent leaves supervisorctl's programs alone (a BACKUP would stop them).
    await supha(['--config', cfgPath, 'hold', '--reason', 'bench']);
    t = performance.now();
    await run('supervisorctl', ['-c', sv.confPath, 'start', 'all'], { timeoutMs: 300_000 }).catch(() => {});
    await waitFor('all RUNNING', async () => (await running()) === COUNT, 120_000, 100);
    ctl.push(performance.now() - t);
    await run('supervisorctl', ['-c', sv.confPath, 'stop', ...Object.keys(programs).map((p) => `${p}`)], { timeoutMs: 300_000 }).catch(() => {});
    await waitFor('all stopped', async () => (await running()) === 0, 120_000, 100);
    await supha(['--config', cfgPath, 'release']);
  }
  const rss = await hwm(agent.pid);
  const tk = median(takeover);
  const sc = median(ctl);
  console.log(`programs: ${COUNT}, runs: ${RUNS} (medians; this machine, shared, under load)`);
  console.log(`| figure | supha | supervisorctl |`);
  console.log(`| --- | --- | --- |`);
  console.log(`| agent CPU while idle (${IDLE_S} s, no events, timer only) | ${(idle * 100).toFixed(2)} % of a core (${reads} full process reads) | — |`);
  console.log(`| takeover: MASTER event -> all RUNNING | ${(tk / 1000).toFixed(2)} s (${(tk / sc).toFixed(2)}x) | start all: ${(sc / 1000).toFixed(2)} s |`);
  console.log(`| agent RSS, peak | ${rss.toFixed(0)} MB | — |`);
  console.log(`takeover runs: ${takeover.map((x) => (x / 1000).toFixed(2)).join(', ')}; start all runs: ${ctl.map((x) => (x / 1000).toFixed(2)).join(', ')}`);
} finally {
  await agent.stop();
  ka.kill();
  await sv.stop();
  await tmp.cleanup();
}
