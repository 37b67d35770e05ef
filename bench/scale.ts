// The agent at 500 programs (startsecs=0) on one real supervisord, keepalived and `supha agent`
// in a network namespace, beside `supervisorctl start all` on a second supervisord with the same
// 500 programs, in the same run:
//   - takeover: keepalived enters MASTER (the VIP appears on eth0, seen by `ip monitor`: the
//     keepalived side, not the agent's log) -> all 500 RUNNING; the same poll times
//     `supervisorctl start all` from its launch to all 500 RUNNING; median of the rounds, ratio;
//   - agent peak RSS during a takeover (VmHWM, reset through clear_refs before each);
//   - agent CPU while idle: MASTER, all RUNNING, no state changes, timer passes only.
// Run as root: bench/scale.sh [rounds] [idle-seconds]
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AgentProc, startAgent } from '../test/helpers/agent.js';
import { SUPHA_BIN } from '../test/helpers/cli.js';
import { type Keepalived, startKeepalived } from '../test/helpers/keepalived.js';
import { createNetRig, SUBNET } from '../test/helpers/netns.js';
import { type Supervisord, startSupervisord } from '../test/helpers/supervisord.js';
import { tempDir, waitFor, writeJson } from '../test/helpers/tmp.js';
import { median, procCpuSeconds, procStatusKb, table } from './proc.js';
import { onSignal } from './signal.js';
import { watchVip } from './vip.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const IDLE_S = Number(process.argv[3] ?? 25);
const N = 500;
const VIP = `${SUBNET}.100`;
const PROGRAMS = Object.fromEntries(Array.from({ length: N }, (_, i) => [`s${String(i).padStart(3, '0')}`, { command: '/bin/sleep 100000', startsecs: 0 }]));
const run = promisify(execFile);

// Waits (polling every 500 ms, not to load supervisord) until `n` programs of sv are RUNNING.
async function untilRunning(sv: Supervisord, n: number): Promise<void> {
  const client = sv.client({ timeoutMs: 30_000 });
  await waitFor(
    `${n} programs RUNNING`,
    async () => (await client.getAllProcessInfo()).filter((p) => p.name in PROGRAMS && p.statename === 'RUNNING').length === n,
    180_000,
    500,
  );
}

// ms from t0 (epoch ms) until the last of the 500 entered RUNNING, from supervisord's own log
// ("2026-12-02 14:59:01,234 INFO success: s001 entered RUNNING state…"): measuring by polling
// getAllProcessInfo would load supervisord's one thread while it spawns.
async function runningAt(sv: Supervisord, t0: number): Promise<number> {
  return waitFor(
    `${N} RUNNING lines in supervisord's log`,
    async () => {
      const seen = new Map<string, number>();
      for (const m of (await readFile(join(sv.dir, 'supervisord.log'), 'utf8')).matchAll(
        /^(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+),(\d+) INFO success: (\S+) entered RUNNING/gm,
      )) {
        const [, y, mo, d, h, mi, se, ms, name] = m;
        const at = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), Number(ms)).getTime();
        if (name && name in PROGRAMS && at >= t0 - 1) seen.set(name, at);
      }
      return seen.size === N ? Math.max(...seen.values()) - t0 : undefined;
    },
    180_000,
    200,
  );
}

const mastersLogged = (a: AgentProc) => a.logs().match(/transition app: \S+ -> MASTER/g)?.length ?? 0;

async function main(): Promise<void> {
  const net = await createNetRig(1);
  const host = net.hosts[0];
  let sv: Supervisord | undefined;
  let base: Supervisord | undefined;
  let agent: AgentProc | undefined;
  let ka: Keepalived | undefined;
  let cleanup = async () => {};
  onSignal(() => teardown());
  try {
    if (!host) throw new Error('no host');
    const tmp = await tempDir('supha-scale-');
    cleanup = tmp.cleanup;
    const dir = tmp.dir;
    const cfgPath = join(dir, 'config.json');
    // The shipped listener (supervisor/supha-listener.conf), as a deployment runs it.
    const listener = `[eventlistener:supha]\ncommand=${process.execPath} ${SUPHA_BIN} --config ${cfgPath} listen\nevents=PROCESS_STATE,TICK_5\nautostart=true\nautorestart=true\nbuffer_size=100\nstderr_logfile=${join(dir, 'listener.log')}\npriority=1\n`;
    sv = await startSupervisord({ dir, programs: PROGRAMS, wrap: net.wrap(host), extraConf: listener });
    const fifo = join(dir, 'ka.fifo');
    const socket = join(dir, 'state', 'agent.sock');
    await writeJson(cfgPath, {
      'project-name': 'scale',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': [sv.registryDir] },
      ha: {
        'node-name': 'node1',
        keepalived: { 'notify-fifo': fifo, 'pid-file': join(dir, 'keepalived.pid') },
        'service-sets': { app: { 'vrrp-instance': 'VI_APP', registry: sv.registryDir, vip: VIP } },
        agent: { listen: '127.0.0.1:7373' },
      },
    });
    agent = await startAgent(cfgPath, socket, { prefix: net.wrap(host) });
    base = await startSupervisord({ programs: PROGRAMS });
    const agentPid = agent.pid;
    const takeover: number[] = [];
    const ctl: number[] = [];
    const ctlExit: number[] = [];
    const rss: number[] = [];
    let idle = Number.NaN;
    for (let round = 1; round <= ROUNDS; round++) {
      // supervisorctl start all on the plain supervisord.
      const c0 = Date.now();
      const cmd = run('supervisorctl', ['-c', base.confPath, 'start', 'all'], { timeout: 180_000 }).then(() => Date.now() - c0);
      ctl.push(await runningAt(base, c0));
      ctlExit.push(await cmd);
      await run('supervisorctl', ['-c', base.confPath, 'stop', 'all'], { timeout: 180_000 });

      // Takeover: keepalived (no live peer) enters MASTER; the agent starts the set.
      const vip = await watchVip(net, host, VIP);
      await writeFile(`/proc/${agentPid}/clear_refs`, '5');
      const masters = mastersLogged(agent);
      ka = await startKeepalived({
        dir,
        wrap: net.wrap(host),
        instance: 'VI_APP',
        routerId: 51,
        priority: 150,
        srcIp: host.ip,
        peers: [`${SUBNET}.99`],
        vip: VIP,
        fifo,
      });
      const t0 = await vip.added;
      vip.stop();
      takeover.push(await runningAt(sv, t0));
      // The pass may still be settling: its peak is read once the agent is idle again.
      await waitFor('the agent to log its transition to MASTER', () => agent && mastersLogged(agent) > masters, 60_000, 200);
      rss.push((await procStatusKb(agentPid, 'VmHWM')) / 1024);
      if (round === 1) {
        // Idle: settle one timer pass, then count the agent's CPU over IDLE_S seconds.
        await new Promise((r) => setTimeout(r, 6_000));
        const cpu0 = await procCpuSeconds(agentPid);
        const w0 = performance.now();
        await new Promise((r) => setTimeout(r, IDLE_S * 1000));
        idle = ((await procCpuSeconds(agentPid)) - cpu0) / ((performance.now() - w0) / 1000);
      }
      console.log(
        `round ${round}: takeover ${takeover.at(-1)?.toFixed(0)} ms, supervisorctl start all ${ctl.at(-1)?.toFixed(0)} ms (its exit ${ctlExit.at(-1)?.toFixed(0)} ms), agent peak RSS ${rss.at(-1)?.toFixed(1)} MB`,
      );
      await ka.stop();
      ka = undefined;
      await untilRunning(sv, 0);
    }
    const t = median(takeover);
    const c = median(ctl);
    // Rounds are interleaved: the ratio of each round is the fairer figure on a loaded machine.
    const ratio = median(takeover.map((x, i) => x / (ctl[i] ?? Number.NaN)));
    console.log(`\n${N} programs, startsecs=0, ${ROUNDS} rounds (medians), machine load ${(await readFile('/proc/loadavg', 'utf8')).split(' ')[0]}`);
    table([
      ['agent CPU while idle (MASTER, timer only)', `${(idle * 100).toFixed(2)} % of a core (${IDLE_S} s)`, '< 1 %'],
      [
        'takeover: MASTER (VIP up) -> all RUNNING',
        `${(t / 1000).toFixed(2)} s vs supervisorctl start all ${(c / 1000).toFixed(2)} s; ratio ${ratio.toFixed(2)}x (median of rounds)`,
        '<= 1.0x supervisorctl start all',
      ],
      ['agent RSS, peak during takeover', `${median(rss).toFixed(1)} MB`, '< 100 MB'],
    ]);
  } finally {
    await teardown();
  }
  async function teardown(): Promise<void> {
    await ka?.stop().catch(() => {});
    await agent?.stop().catch(() => {});
    await sv?.stop().catch(() => {});
    await base?.stop().catch(() => {});
    await net.destroy();
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
