// Failover time on two namespace hosts: from cutting the master's link to all 20 programs of the
// set RUNNING on the peer, beside keepalived's own detection time in the same run (cut -> the
// peer agent receiving MASTER on its FIFO). Prints each run, the medians and supha's share.
// Run as root: node dist/bench/failover.js [runs]
import { type HaNode, startHaPair, waitRunning } from '../test/helpers/hapair.js';
import { waitFor } from '../test/helpers/tmp.js';

const RUNS = Number(process.argv[2] ?? 5);
const PROGRAMS = Object.fromEntries(
  Array.from({ length: 20 }, (_, i) => [`p${String(i + 1).padStart(2, '0')}`, { command: '/bin/sleep 100000', startsecs: 0 }]),
);
const N = Object.keys(PROGRAMS).length;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

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
  const rows: { detect: number; failover: number; reconcile: number; spawn: number }[] = [];
  try {
    const [m, p] = pair.nodes as [HaNode, HaNode];
    await waitRunning(m, N, 'the master to run the set', 60_000);
    await waitRunning(p, 0, 'the peer to run none', 60_000);
    for (let run = 1; run <= RUNS; run++) {
      await new Promise((r) => setTimeout(r, 500));
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
      const detectAt = masterEventAt(p, t0);
      if (detectAt === undefined) throw new Error('no MASTER event on the peer FIFO');
      // The agent logs the transition once its pass is over, a moment after the programs are up.
      const pass = await waitFor('the transition log line', () => reconcileMs(p, t0), 10_000).catch(() => ({ ms: Number.NaN, spawn: Number.NaN }));
      const row = { detect: detectAt - t0, failover: t1 - t0, reconcile: pass.ms, spawn: pass.spawn };
      rows.push(row);
      console.log(
        `run ${run}: detection ${row.detect} ms, failover ${row.failover} ms, supha share ${row.failover - row.detect} ms (reconcile pass ${row.reconcile} ms, of which supervisord spawning 20: ${row.spawn} ms)`,
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
  console.log(`\n${N} programs, ${rows.length} runs (medians):`);
  console.log(`  keepalived detection   ${d} ms`);
  console.log(`  failover (cut -> all RUNNING on the peer)   ${f} ms`);
  console.log(`  supha's share (failover - detection)   ${share} ms   (goal < 150 ms: ${share < 150 ? 'met' : 'NOT met'})`);
  console.log(`  share / failover   ${(share / f).toFixed(2)}`);
  const spawn = median(rows.map((r) => r.spawn));
  console.log(`  reconcile pass on the peer   ${median(rows.map((r) => r.reconcile))} ms`);
  console.log(`  of it, supervisord spawning the 20 (one multicall)   ${spawn} ms`);
  console.log(`  supha's share without supervisord's spawning   ${median(rows.map((r) => r.failover - r.detect - r.spawn)).toFixed(1)} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
