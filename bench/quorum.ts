// The quorum witness's figures: for each scenario, the ms both hosts ran a program of the set at
// once (a sampler reads both supervisords every 50 ms) and the failover time (fault -> all the
// set's programs RUNNING on the other host), with and without ha.quorum, side by side (medians).
// Real etcd in the bridge namespace, real keepalived (VRRPv3, advert 0.1 s, track file) on two
// namespace hosts, lease TTL 3 s, stopwaitsecs 1.
// Run as root: node dist/bench/quorum.js [runs]
import { writeFileSync } from 'node:fs';
import { startAgent } from '../test/helpers/agent.js';
import { type HaNode, waitRunning } from '../test/helpers/hapair.js';
import { waitFor } from '../test/helpers/tmp.js';
import { DoubleRunSampler, PROGRAMS, type QuorumPair, startQuorumPair } from '../test/quorum/rig.js';
import { median } from './proc.js';
import { onSignal } from './signal.js';

const RUNS = Number(process.argv[2] ?? 20);
const N = Object.keys(PROGRAMS).length;
const NAMES = new Set(Object.keys(PROGRAMS));

type Scenario = 'clean failover' | 'kill -9 of the holder agent' | 'holder isolated' | 'split brain' | 'etcd down (stop)';
const ALL: Scenario[] = ['clean failover', 'kill -9 of the holder agent', 'holder isolated', 'split brain', 'etcd down (stop)'];
// QUORUM_BENCH_ONLY="split brain,etcd down (stop)" runs only those.
const SCENARIOS = process.env.QUORUM_BENCH_ONLY ? ALL.filter((s) => process.env.QUORUM_BENCH_ONLY?.split(',').includes(s)) : ALL;
const MODES = (process.env.QUORUM_BENCH_MODES ?? 'without,with').split(',');

interface Figure {
  doubleMs: number;
  // fault -> the other host runs the whole set (NaN where nothing moves by design).
  failoverMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// kill -9 with quorum: the restarted agent's spawn -> its stop of the orphans, per run.
const restartToStopMs: number[] = [];
const count = async (n: HaNode) => (await n.running()).length;

// Back to the start: node1 runs the set, node2 is a plain BACKUP (agents restarted if one is
// still refused a key a previous scenario left it waiting for).
async function reset(pair: QuorumPair, quorum: boolean): Promise<void> {
  const [a, b] = pair.nodes as [HaNode, HaNode];
  await pair.heal();
  await pair.unisolate(a);
  await pair.unisolate(b);
  if (
    quorum &&
    !(await pair.etcdctl('endpoint', 'health').then(
      () => true,
      () => false,
    ))
  )
    await pair.etcd.start();
  for (const n of [a, b]) if ((await n.agent?.status().catch(() => undefined)) === undefined) await restartAgent(pair, n);
  for (const n of [a, b]) {
    const st = await n.agent!.status();
    if (quorum && st.modules.quorum?.sets.app?.state === 'waiting') await restartAgent(pair, n);
  }
  // node1 refused the key while node2 holds it stays FAULT (the holder keeps the set): a fresh
  // agent on node1 leaves FAULT, preempts node2, and node2 gives the key up.
  for (let attempt = 1; ; attempt++) {
    try {
      await waitFor('node1 to run the set, node2 none', async () => (await count(a)) === N && (await count(b)) === 0, 15_000, 20);
      break;
    } catch (err) {
      if (!quorum || attempt === 3) throw err;
      await restartAgent(pair, a);
    }
  }
  if (quorum) await waitFor('node1 to hold the key', async () => (await a.agent!.status()).modules.quorum.sets.app?.state === 'held', 10_000);
  await waitFor('node2 BACKUP', async () => (await b.agent!.status()).sets.app.role === 'BACKUP', 10_000);
  await sleep(300);
}

async function restartAgent(pair: QuorumPair, n: HaNode): Promise<void> {
  await n.agent?.stop().catch(() => {});
  n.agent = await startAgent(n.cfgPath, n.socket, { prefix: pair.net.wrap(n.host) });
}

async function until(what: string, fn: () => Promise<boolean>, t0: number, timeoutMs = 20_000): Promise<number> {
  await waitFor(what, fn, timeoutMs, 10);
  return performance.now() - t0;
}

async function scenario(pair: QuorumPair, s: Scenario, quorum: boolean): Promise<Figure> {
  const [a, b] = pair.nodes as [HaNode, HaNode];
  const sampler = new DoubleRunSampler(pair.nodes, NAMES).start();
  let failoverMs = Number.NaN;
  const t0 = performance.now();
  try {
    switch (s) {
      case 'clean failover':
        await a.ka!.stop();
        failoverMs = await until('node2 to run the set', async () => (await count(b)) === N, t0);
        await waitRunning(a, 0, 'node1 to stop');
        await a.startKeepalived();
        break;
      case 'kill -9 of the holder agent':
        // The agent dies and keepalived moves the VIP (a `supha check` track script would);
        // systemd's Restart=always brings the agent back 0.5 s later.
        a.agent!.child.kill('SIGKILL');
        await a.ka!.stop();
        await sleep(500);
        {
          const spawnedAt = Date.now();
          a.agent = await startAgent(a.cfgPath, a.socket, { prefix: pair.net.wrap(a.host) });
          failoverMs = await until('node2 to run the set', async () => (await count(b)) === N, t0);
          // How long the new agent took to stop the orphans: past the lease, node2 may start first.
          const line = a.agent
            .logs()
            .split('\n')
            .find((l) => l.includes('running without its key'));
          if (line) restartToStopMs.push((JSON.parse(line) as { time: number }).time - spawnedAt);
        }
        await waitRunning(a, 0, 'node1 to stop its orphans');
        await a.startKeepalived();
        break;
      case 'holder isolated':
        await pair.isolate(a);
        failoverMs = await until('node2 to run the set', async () => (await count(b)) === N, t0);
        // Without quorum node1 never learns it is cut off: both run until the window ends.
        await waitFor('node1 to run none', async () => (await count(a)) === 0, quorum ? 20_000 : 3_000).catch(() => {});
        break;
      case 'split brain':
        await pair.split();
        // Without quorum both run from here on; with it, node2 is refused and goes FAULT.
        await sleep(3_000);
        break;
      case 'etcd down (stop)':
        if (!quorum) break;
        await pair.etcd.kill();
        await waitFor('node1 to fence', async () => (await count(a)) === 0, 20_000);
        await pair.etcd.start();
        await waitFor('one host to run the set', async () => (await count(a)) + (await count(b)) === N, 20_000);
        failoverMs = performance.now() - t0;
        break;
    }
    await sleep(200);
  } finally {
    sampler.stop();
  }
  return { doubleMs: Math.round(sampler.doubleMs), failoverMs: Math.round(failoverMs) };
}

async function mode(quorum: boolean): Promise<Map<Scenario, Figure[]>> {
  const pair = await startQuorumPair({ quorum });
  onSignal(() => pair.destroy());
  const out = new Map<Scenario, Figure[]>(SCENARIOS.map((s) => [s, []]));
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const s of SCENARIOS) {
        if (s === 'etcd down (stop)' && !quorum) continue;
        await reset(pair, quorum);
        const f = await scenario(pair, s, quorum);
        out.get(s)?.push(f);
        console.log(
          `${quorum ? 'quorum' : 'no quorum'} run ${run} ${s}: double-run ${f.doubleMs} ms, failover ${Number.isNaN(f.failoverMs) ? '-' : `${f.failoverMs} ms`}`,
        );
      }
    }
  } catch (err) {
    if (process.env.QUORUM_DUMP) for (const [i, n] of pair.nodes.entries()) writeFileSync(`${process.env.QUORUM_DUMP}.n${i + 1}`, n.agent?.logs() ?? '');
    throw err;
  } finally {
    await pair.destroy();
  }
  return out;
}

async function main(): Promise<void> {
  const without = MODES.includes('without') ? await mode(false) : new Map<Scenario, Figure[]>();
  const withQ = MODES.includes('with') ? await mode(true) : new Map<Scenario, Figure[]>();
  const fmt = (xs: number[]) => (xs.length === 0 || xs.every(Number.isNaN) ? '-' : `${median(xs.filter((x) => !Number.isNaN(x)))}`);
  console.log(`\n${RUNS} runs of each scenario (medians; double-run: median / max / runs with any):`);
  console.log('| scenario | double-run ms without | double-run ms with quorum | failover ms without | failover ms with quorum |');
  console.log('|---|---|---|---|---|');
  for (const s of SCENARIOS) {
    const w = without.get(s) ?? [];
    const q = withQ.get(s) ?? [];
    const dbl = (xs: Figure[]) =>
      xs.length === 0
        ? '-'
        : `${fmt(xs.map((x) => x.doubleMs))} / ${Math.max(...xs.map((x) => x.doubleMs))} / ${xs.filter((x) => x.doubleMs > 0).length} of ${xs.length}`;
    console.log(`| ${s} | ${dbl(w)} | ${dbl(q)} | ${fmt(w.map((x) => x.failoverMs))} | ${fmt(q.map((x) => x.failoverMs))} |`);
  }
  if (restartToStopMs.length > 0)
    console.log(`kill -9, quorum: restarted agent spawn -> orphans stopped: median ${median(restartToStopMs)} ms, max ${Math.max(...restartToStopMs)} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
