// Failover time on two namespace hosts: from cutting the master's link to all 20 programs of the
// set RUNNING on the peer, beside keepalived's own detection time in the same run, taken from
// keepalived's side: cut -> the VIP appearing on the peer's interface (`ip monitor address`).
// The agent reading MASTER from its FIFO is shown too, as the agent's own latency, inside
// supha's share. Prints each run, the medians and supha's share.
// Run as root: node dist/bench/failover.js [runs]
import { type HaNode, startHaPair, waitRunning } from '../test/helpers/hapair.js';
import { waitFor } from '../test/helpers/tmp.js';
import { median, table } from './proc.js';
import { onSignal } from './signal.js';
import { watchVip } from './vip.js';

const RUNS = Number(process.argv[2] ?? 5);
const PROGRAMS = Object.fromEntries(
  Array.from({ length: 20 }, (_, i) => [`p${String(i + 1).padStart(2, '0')}`, { command: '/bin/sleep 100000', startsecs: 0 }]),
);
const N = Object.keys(PROGRAMS).length;

// The time the peer's agent logged the MASTER event it read from the FIFO (pino time, epoch ms).
function masterEventAt(node: HaNode, after: number): number | undefined {
  for (const line of node.agent?.logs().split('\n') ?? []) {
    if (!line.includes('"source":"fifo"') || !line.includes('VI_APP MASTER')) continue;
    const t = (JSON.parse(line) as { time: number }).time;
    if (t >= after) return t;
  }
  return undefined;
}

// The peer's reconcile pass that made it MASTER: its duration and, of that, supervisord's spawning.
function reconcileMs(node: HaNode, after: number): { ms: number; spawn: number } | undefined {
  for (const line of node.agent?.logs().split('\n') ?? []) {
    if (!line.includes('"transition"') || !line.includes('-> MASTER')) continue;
    const rec = JSON.parse(line) as { time: number; transition: { ms: number; supervisordMs?: number } };
    if (rec.time >= after) return { ms: rec.transition.ms, spawn: rec.transition.supervisordMs ?? Number.NaN };
  }
  return undefined;
}

async function main(): Promise<void> {
  const pair = await startHaPair({ programs: PROGRAMS, intervalMs: 5_000 });
  onSignal(() => pair.destroy());
  const rows: { detect: number; fifo: number; failover: number; reconcile: number; spawn: number }[] = [];
  try {
    const [m, p] = pair.nodes as [HaNode, HaNode];
    await waitRunning(m, N, 'the master to run the set', 60_000);
    await waitRunning(p, 0, 'the peer to run none', 60_000);
    for (let run = 1; run <= RUNS; run++) {
      await new Promise((r) => setTimeout(r, 500));
      const vip = await watchVip(pair.net, p.host, pair.vip);
      const t0 = Date.now();
      await pair.net.cut(m.host);
      let t1 = 0;
      for (;;) {
        if ((await p.running()).length === N) {
          t1 = Date.now();
          break;
        }
        if (Date.now() - t0 > 30_000) throw new Error('the peer did not take over within 30 s');
        await new Promise((r) => setTimeout(r, 10));
      }
      const detectAt = await Promise.race([vip.added, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000).unref())]);
      vip.stop();
      if (detectAt === undefined) throw new Error('the VIP never appeared on the peer');
      const fifoAt = masterEventAt(p, t0) ?? Number.NaN;
      // The agent logs the transition once its pass is over, a moment after the programs are up.
      const pass = await waitFor('the transition log line', () => reconcileMs(p, t0), 10_000).catch(() => ({ ms: Number.NaN, spawn: Number.NaN }));
      const row = { detect: detectAt - t0, fifo: fifoAt - detectAt, failover: t1 - t0, reconcile: pass.ms, spawn: pass.spawn };
      rows.push(row);
      console.log(
        `run ${run}: detection (VIP up) ${row.detect} ms, failover ${row.failover} ms, supha share ${row.failover - row.detect} ms (agent read MASTER +${row.fifo} ms after the VIP; reconcile pass ${row.reconcile} ms, of which supervisord spawning 20: ${row.spawn} ms)`,
      );
      await pair.net.restore(m.host);
      await waitRunning(m, N, 'the master to take the set back', 30_000);
      await waitRunning(p, 0, 'the peer to stop', 30_000);
    }
  } finally {
    await pair.destroy();
  }
  const d = median(rows.map((r) => r.detect));
  const f = median(rows.map((r) => r.failover));
  const share = median(rows.map((r) => r.failover - r.detect));
  const spawn = median(rows.map((r) => r.spawn));
  const own = median(rows.map((r) => r.failover - r.detect - r.spawn));
  console.log(`\n${N} programs, ${rows.length} runs (medians):`);
  table([
    ['keepalived detection (cut -> VIP up on the peer)', `${d} ms`, '(VRRPv3 advert_int 0.1)'],
    ['failover (cut -> all RUNNING on the peer)', `${f} ms`, ''],
    ["supha's share (failover - detection)", `${share} ms (share/failover ${(share / f).toFixed(2)})`, ''],
    ['  agent reading MASTER from its FIFO, after the VIP', `${median(rows.map((r) => r.fifo))} ms`, ''],
    ['  reconcile pass on the peer', `${median(rows.map((r) => r.reconcile))} ms`, ''],
    ['  of it, supervisord spawning the 20 (one multicall)', `${spawn} ms`, ''],
    ["supha's own part (share - supervisord's spawning)", `${own.toFixed(1)} ms`, '<= 25 ms'],
  ]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
