// Soak: one `supha agent` with a service set of 500 programs and 200 blue/green nodes (two groups
// of 100, each node a real single-process nginx run by supervisord) for --minutes N (10), in a
// network namespace with real supervisord (the shipped listener), keepalived and a front nginx.
// Cycles until the time is up: takeover (keepalived started: MASTER -> all 500 RUNNING), a
// `supha switch` to the other group under a light load through the front nginx, release
// (keepalived stopped -> none of the 500 running). Every second: the agent's RSS, CPU and open
// fds. Prints the curve summary; exits 1 on any failed step or failed request, or when RSS grows
// beyond --max-slope MB/min (fit over the cycle ends) or the fds beyond --max-fd-growth.
// Run as root: scripts/soak.sh [--minutes N] [--max-slope 1] [--max-fd-growth 5] [--samples FILE]
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs, promisify } from 'node:util';
import { renderUpstream } from '../src/nginx/index.js';
import { type AgentProc, startAgent } from '../test/helpers/agent.js';
import { SUPHA_BIN } from '../test/helpers/cli.js';
import { type Keepalived, startKeepalived } from '../test/helpers/keepalived.js';
import { createNetRig, SUBNET } from '../test/helpers/netns.js';
import { type Nginx, startNginx } from '../test/helpers/nginx.js';
import { programConf, type Supervisord, startSupervisord } from '../test/helpers/supervisord.js';
import { tempDir, waitFor, writeJson } from '../test/helpers/tmp.js';
import { median, procCpuSeconds, procStatusKb } from './proc.js';
import { onSignal } from './signal.js';
import { watchVip } from './vip.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'max-slope': { type: 'string', default: '1' },
    'max-fd-growth': { type: 'string', default: '5' },
    samples: { type: 'string' },
  },
});
const MINUTES = Number(values.minutes);
const MAX_SLOPE = Number(values['max-slope']);
const MAX_FD_GROWTH = Number(values['max-fd-growth']);
if (!(MINUTES > 0) || !(MAX_SLOPE >= 0) || !(MAX_FD_GROWTH >= 0)) {
  console.error('soak: --minutes takes a number > 0, --max-slope and --max-fd-growth numbers >= 0');
  process.exit(2);
}
const N = 500;
const PER_GROUP = 100;
const VIP = `${SUBNET}.100`;
const run = promisify(execFile);
const SET = Array.from({ length: N }, (_, i) => `s${String(i).padStart(3, '0')}`);
const GROUPS = ['group1', 'group2'] as const;
type Group = (typeof GROUPS)[number];
// n1-000 … n1-099 in group1, n2-… in group2; every 25th a backup; ports 20000+ in the namespace.
const nodesOf = (g: Group) => Array.from({ length: PER_GROUP }, (_, i) => ({ name: `n${g.slice(-1)}-${String(i).padStart(3, '0')}`, backup: i % 25 === 24 }));
const portOf = (name: string) => 20_000 + (name.startsWith('n1') ? 0 : PER_GROUP) + Number(name.slice(3));

interface Sample {
  t: number;
  rssMb: number;
  cpuPct: number;
  fds: number;
  phase: string;
}

// A single-process nginx answering 200 "VERSION" on its port: a node that costs ~3 MB.
function nodeNginxConf(dir: string, port: number, version: string): string {
  return `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "${version}\\n"; }
  }
}
`;
}

// The load client in the namespace: `snap()` gives its counters.
function startLoadClient(wrap: string[], url: string) {
  const child = spawn(wrap[0] ?? '', [...wrap.slice(1), process.execPath, join(import.meta.dirname, 'soak-load.js'), url, '20'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((l: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const ask = (what: string) =>
    new Promise<{ ok: number; failed: number; reasons: Record<string, number>; bodies: Record<string, number> }>((resolve) => {
      waiting.push((l) => resolve(JSON.parse(l)));
      child.stdin.write(`${what}\n`);
    });
  return { snap: () => ask('snap'), stop: () => (child.exitCode === null ? ask('stop') : undefined), pid: child.pid };
}

// Least-squares slope of y over x.
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    den += ((xs[i] ?? 0) - mx) ** 2;
  }
  return num / den;
}

async function main(): Promise<number> {
  const net = await createNetRig(1);
  const host = net.hosts[0];
  let sv: Supervisord | undefined;
  let front: Nginx | undefined;
  let agent: AgentProc | undefined;
  let ka: Keepalived | undefined;
  let load: ReturnType<typeof startLoadClient> | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let cleanup = async () => {};
  const teardown = async () => {
    if (sampler) clearInterval(sampler);
    await load?.stop();
    await ka?.stop().catch(() => {});
    await agent?.stop().catch(() => {});
    await front?.stop().catch(() => {});
    await sv?.stop().catch(() => {});
    await net.destroy();
    await cleanup();
  };
  onSignal(teardown);
  const failures: string[] = [];
  const fail = (what: string) => {
    failures.push(what);
    console.log(`  FAILED: ${what}`);
  };
  const samples: Sample[] = [];
  const cycleEnds: Sample[] = [];
  let phase = 'start';
  const t0 = Date.now();
  const at = () => `+${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s`;
  try {
    if (!host) throw new Error('no host');
    const wrap = net.wrap(host);
    const tmp = await tempDir('supha-soak-');
    cleanup = tmp.cleanup;
    const dir = tmp.dir;
    const setDir = join(dir, 'set');
    await mkdir(setDir, { recursive: true });
    for (const s of SET) await writeFile(join(setDir, `${s}.conf`), programConf(s, { command: '/bin/sleep 100000', startsecs: 0 }));
    const programs: Record<string, { command: string; startsecs: number; stopwaitsecs: number }> = {};
    for (const g of GROUPS) {
      for (const n of nodesOf(g)) {
        const d = join(dir, 'nodes', n.name);
        await mkdir(join(d, 'tmp'), { recursive: true });
        await writeFile(join(d, 'nginx.conf'), nodeNginxConf(d, portOf(n.name), `${g === 'group1' ? 'v1' : 'v2'}-${n.name.slice(3)}`));
        programs[n.name] = { command: `nginx -p ${d} -e ${d}/error.log -c ${d}/nginx.conf`, startsecs: 0, stopwaitsecs: 5 };
      }
    }
    const cfgPath = join(dir, 'config.json');
    const listener = `[eventlistener:supha]\ncommand=${process.execPath} ${SUPHA_BIN} --config ${cfgPath} listen\nevents=PROCESS_STATE,TICK_5\nautostart=true\nautorestart=true\nbuffer_size=100\nstderr_logfile=${join(dir, 'listener.log')}\npriority=1\n`;
    sv = await startSupervisord({ dir: join(dir, 'sv'), programs, include: [join(setDir, '*.conf')], wrap, extraConf: listener });
    const node = (name: string, backup: boolean) => ({
      'health-check-url': `http://127.0.0.1:${portOf(name)}/`,
      'upstream-url': `127.0.0.1:${portOf(name)}`,
      'supervisor-program': name,
      backup,
    });
    const nginxCfg: Record<string, any> = {
      'nginx-home': '/usr',
      upstream: {
        'upstream-name': 'jetty',
        keepalive: 8,
        'node-group': Object.fromEntries(
          GROUPS.map((g) => [
            g,
            { nodes: Object.fromEntries(nodesOf(g).map((n) => [n.name, node(n.name, n.backup)])), 'default-group': g === 'group1' ? 'primary' : 'standby' },
          ]),
        ),
      },
      health: { 'interval-ms': 1_000, 'timeout-ms': 2_000, 'fail-threshold': 3 },
      switch: { 'health-passes': 2, 'health-deadline-ms': 60_000, 'verify-window-ms': 500, 'drain-ms': 500, 'check-interval-ms': 200 },
    };
    front = await startNginx({ upstreamName: 'jetty', upstreamText: renderUpstream(nginxCfg as never, 'group1', {}), wrap, workers: 1 });
    Object.assign(nginxCfg, {
      'nginx-reload-cmd': front.reloadCmd,
      'nginx-test-cmd': front.testCmd,
      'upstream-conf-path': front.upstreamPath,
      'pid-file': front.pidFile,
    });
    nginxCfg.switch['verify-url'] = front.url;
    const client = sv.client({ timeoutMs: 30_000 });
    for (const n of nodesOf('group1')) await client.startProcess(n.name);
    const fifo = join(dir, 'ka.fifo');
    const socket = join(dir, 'state', 'agent.sock');
    await mkdir(join(dir, 'runtime'), { recursive: true });
    await writeJson(cfgPath, {
      'project-name': 'soak',
      'state-dir': join(dir, 'state'),
      'runtime-dir': join(dir, 'runtime'),
      supervisor: { 'server-url': sv.url, 'registry-dirs': [sv.registryDir] },
      ha: {
        'node-name': 'node1',
        keepalived: { 'notify-fifo': fifo, 'pid-file': join(dir, 'keepalived.pid') },
        'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry: setDir, vip: VIP } },
        agent: { listen: '127.0.0.1:7373' },
      },
      nginx: nginxCfg,
    });
    agent = await startAgent(cfgPath, socket, { prefix: wrap, env: { SUPHA_LOG_LEVEL: 'info' } });
    const pid = agent.pid;
    load = startLoadClient(wrap, front.url);
    await waitFor('requests through the front nginx', async () => ((await load?.snap())?.ok ?? 0) > 20, 60_000, 500);
    const l0 = await load.snap();
    if (l0.failed > 0) fail(`${l0.failed} requests failed before the first cycle: ${JSON.stringify(l0.reasons)}`);

    // One sample a second, from /proc.
    let lastCpu = await procCpuSeconds(pid);
    let lastT = performance.now();
    const sample = async (): Promise<Sample> => {
      const cpu = await procCpuSeconds(pid);
      const now = performance.now();
      const s: Sample = {
        t: (Date.now() - t0) / 1000,
        rssMb: (await procStatusKb(pid, 'VmRSS')) / 1024,
        cpuPct: ((cpu - lastCpu) / ((now - lastT) / 1000)) * 100,
        fds: (await readdir(`/proc/${pid}/fd`)).length,
        phase,
      };
      lastCpu = cpu;
      lastT = now;
      return s;
    };
    sampler = setInterval(() => {
      sample().then(
        (s) => samples.push(s),
        () => {},
      );
    }, 1_000);

    const inSet = new Set(SET);
    const setRunning = async () => (await client.getAllProcessInfo()).filter((p) => inSet.has(p.name) && p.statename === 'RUNNING').length;
    const end = t0 + MINUTES * 60_000;
    const takeovers: number[] = [];
    const releases: number[] = [];
    const switches: number[] = [];
    let primary: Group = 'group1';
    let cycle = 0;
    while (Date.now() < end) {
      cycle++;
      // Takeover: keepalived with no live peer enters MASTER; the agent starts the 500.
      phase = 'takeover';
      const vip = await watchVip(net, host, VIP);
      ka = await startKeepalived({ dir, wrap, instance: 'VI_APP', routerId: 51, priority: 150, srcIp: host.ip, peers: [`${SUBNET}.99`], vip: VIP, fifo });
      const tv = await vip.added;
      vip.stop();
      const took = await waitFor('all 500 RUNNING', async () => (await setRunning()) === N, 180_000, 500).then(
        () => Date.now() - tv,
        (err: Error) => {
          fail(`cycle ${cycle} takeover: ${err.message}`);
          return Number.NaN;
        },
      );
      takeovers.push(took);

      // Switch to the other group under the load.
      phase = 'switch';
      const to: Group = primary === 'group1' ? 'group2' : 'group1';
      const before = await load.snap();
      const s0 = Date.now();
      const sw = await run(wrap[0] ?? '', [...wrap.slice(1), process.execPath, SUPHA_BIN, 'switch', '--config', cfgPath], { timeout: 300_000 }).then(
        () => undefined,
        (err: { code?: number; stderr?: string }) =>
          `exit ${err.code}: ${String(err.stderr ?? '')
            .trim()
            .split('\n')
            .at(-1)}`,
      );
      const swMs = Date.now() - s0;
      switches.push(swMs);
      // The switch's drain has let the old workers go; a request or two in flight may still count.
      const after = await load.snap();
      const failed = after.failed - before.failed;
      if (sw) fail(`cycle ${cycle} switch to ${to}: ${sw}`);
      else primary = to;
      if (failed > 0) fail(`cycle ${cycle} switch to ${to}: ${failed} requests failed (${JSON.stringify(after.reasons)})`);
      const upstream = await readFile(front.upstreamPath, 'utf8');
      const infos = new Map((await client.getAllProcessInfo()).map((p) => [p.name, p.statename]));
      const wrong = GROUPS.flatMap((g) =>
        nodesOf(g).filter((n) => (g === primary) !== (infos.get(n.name) === 'RUNNING') || (g === primary) !== upstream.includes(`127.0.0.1:${portOf(n.name)}`)),
      );
      if (wrong.length > 0)
        fail(`cycle ${cycle} after the switch, primary ${primary}: ${wrong.length} nodes wrong (${wrong[0]?.name} ${infos.get(wrong[0]?.name ?? '')})`);

      // Release: keepalived stops; the agent stops the 500.
      phase = 'release';
      const r0 = Date.now();
      await ka.stop();
      ka = undefined;
      const rel = await waitFor('none of the 500 running', async () => (await setRunning()) === 0, 180_000, 500).then(
        () => Date.now() - r0,
        (err: Error) => {
          fail(`cycle ${cycle} release: ${err.message}`);
          return Number.NaN;
        },
      );
      releases.push(rel);
      if (agent.child.exitCode !== null || agent.child.signalCode !== null) {
        fail(`the agent exited (${agent.child.exitCode ?? agent.child.signalCode}): ${agent.logs().trim().split('\n').slice(-3).join(' | ')}`);
        break;
      }
      phase = 'idle';
      const s = await sample().catch(() => undefined);
      if (s) cycleEnds.push(s);
      console.log(
        `${at()} cycle ${cycle}: takeover ${(took / 1000).toFixed(1)} s, switch to ${to} ${(swMs / 1000).toFixed(1)} s (${sw ?? 'ok'}, ${failed} of ${after.ok + after.failed - before.ok - before.failed} requests failed), release ${(rel / 1000).toFixed(1)} s; RSS ${s?.rssMb.toFixed(1)} MB, fds ${s?.fds}`,
      );
    }
    clearInterval(sampler);
    sampler = undefined;
    const lEnd = await load.stop();
    load = undefined;

    const rss = samples.map((s) => s.rssMb);
    const head = samples.filter((s) => s.t <= (samples[0]?.t ?? 0) + 30).map((s) => s.rssMb);
    const tail = samples.filter((s) => s.t >= (samples.at(-1)?.t ?? 0) - 30).map((s) => s.rssMb);
    const allSlope = slope(
      samples.map((s) => s.t / 60),
      rss,
    );
    // The bound is on the cycle ends (the same moment of each cycle: BACKUP, all stopped), the
    // first cycle left out (warm-up); a fit over every sample also counts where in a cycle the run ended.
    const ends = cycleEnds.slice(1);
    const endSlope = slope(
      ends.map((s) => s.t / 60),
      ends.map((s) => s.rssMb),
    );
    const fds = samples.map((s) => s.fds);
    const endFds = ends.map((s) => s.fds);
    const fdGrowth = endFds.length ? Math.max(...endFds) - Math.min(...endFds) : 0;
    const file = values.samples ?? join('/tmp', `supha-soak-${Date.now()}.csv`);
    await writeFile(
      file,
      `t_s,rss_mb,cpu_pct,fds,phase\n${samples.map((s) => `${s.t.toFixed(1)},${s.rssMb.toFixed(2)},${s.cpuPct.toFixed(1)},${s.fds},${s.phase}`).join('\n')}\n`,
    );
    const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
    const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
    console.log(
      `\nsoak: ${MINUTES} min, ${cycle} cycles (takeover of ${N} programs, switch of ${PER_GROUP}-node groups, release), ${samples.length} samples (1/s) in ${file}`,
    );
    console.log(
      `  takeover median ${f1(median(takeovers.filter(Number.isFinite)) / 1000)} s, switch median ${f1(median(switches) / 1000)} s, release median ${f1(median(releases.filter(Number.isFinite)) / 1000)} s; requests ${lEnd?.ok ?? '?'} ok, ${lEnd?.failed ?? '?'} failed`,
    );
    console.log(
      `  RSS MB: start ${f1(median(head))} (first 30 s), median ${f1(median(rss))}, end ${f1(median(tail))} (last 30 s), max ${f1(Math.max(...rss))}; slope ${f2(endSlope)} MB/min over the cycle ends (bound ${MAX_SLOPE}), ${f2(allSlope)} MB/min over all samples`,
    );
    console.log(
      `  fds: min ${Math.min(...fds)}, max ${Math.max(...fds)}; at the cycle ends ${Math.min(...endFds)}..${Math.max(...endFds)} (growth bound ${MAX_FD_GROWTH})`,
    );
    console.log(
      `  CPU % of a core: median ${f1(median(samples.map((s) => s.cpuPct)))}, idle-phase median ${f1(median(samples.filter((s) => s.phase === 'idle' || s.phase === 'release').map((s) => s.cpuPct)))}, max ${f1(Math.max(...samples.map((s) => s.cpuPct)))}`,
    );
    if (endSlope > MAX_SLOPE) fail(`RSS grows ${f2(endSlope)} MB/min over the cycle ends (bound ${MAX_SLOPE})`);
    if (fdGrowth > MAX_FD_GROWTH) fail(`open fds at the cycle ends vary by ${fdGrowth} (bound ${MAX_FD_GROWTH})`);
    if (ends.length < 2) fail(`only ${cycleEnds.length} cycles: too short a run for a slope (give more --minutes)`);
    console.log(`soak: ${failures.length === 0 ? 'clean' : `${failures.length} failures: ${failures.join('; ')}`}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await teardown();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(70);
  },
);
