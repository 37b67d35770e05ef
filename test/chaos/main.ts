import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Checker } from './checker.js';
import { FAULTS } from './faults.js';
import { ConfLedger, OPS, type OpContext, undoOps } from './ops.js';
import { Prng } from './prng.js';
import { type ChaosRig, SET_NAMES, SETS, startChaosRig } from './rig.js';

// `scripts/chaos.sh [--rounds N] [--seed S]`: random faults on two namespace hosts, with a
// checker counting the invariants' breaches. The last line is the summary; exit 0 only when
// every count is 0.
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '100' },
    seed: { type: 'string' },
    'window-ms': { type: 'string', default: '1000' },
    'failover-ms': { type: 'string', default: '3000' },
    'logs-dir': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;
if (!Number.isInteger(rounds) || rounds < 0 || !Number.isInteger(seed)) {
  console.error('chaos: --rounds and --seed take integers');
  process.exit(2);
}

const t0 = Date.now();
const say = (line: string) => console.log(`+${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s ${line}`);

// Every set runs all its registry programs on exactly one host, the one holding its VIP.
async function converged(rig: ChaosRig, checker: Checker, ledger: ConfLedger): Promise<boolean> {
  for (const set of SET_NAMES) {
    const holder = checker.holderOf(set);
    if (holder.hosts.length !== 1) return false;
    const want = [...ledger.state].filter(([n, st]) => n.startsWith(set) && st.where === 'registry').map(([n]) => n);
    for (const h of rig.hosts) {
      const info = await h.sv
        .client({ timeoutMs: 1_000 })
        .getAllProcessInfo()
        .catch(() => undefined);
      if (!info) return false;
      const running = new Set(info.filter((p) => p.name.startsWith(set) && p.statename === 'RUNNING').map((p) => p.name));
      if (h.name === holder.hosts[0] ? want.some((n) => !running.has(n)) : running.size > 0) return false;
    }
  }
  return true;
}

async function main(): Promise<number> {
  const rng = new Prng(seed);
  say(`seed ${seed}, ${rounds} rounds: starting two hosts`);
  const rig = await startChaosRig();
  const onSignal = () => {
    void rig.destroy().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const checker = new Checker(rig, { windowMs: Number(values['window-ms']), failoverMs: Number(values['failover-ms']), sampleMs: 50 });
  const ledger = new ConfLedger(rig.marker);
  const ctx: OpContext = { rig, checker, rng, killedAgents: new Set(), ledger, paused: new Map() };
  const findings: string[] = [];
  let faults = 0;
  let lost: string[] = [];
  try {
    checker.start();
    const ready = Date.now();
    while (!(await converged(rig, checker, ledger))) {
      if (Date.now() - ready > 60_000) throw new Error('the two hosts did not converge before the first fault');
      await sleep(200);
    }
    say(`converged: ${SET_NAMES.map((s) => `${s} on ${checker.holderOf(s).hosts}`).join(', ')}`);
    const ops = Object.keys(OPS);
    for (let round = 1; round <= rounds; round++) {
      const fault = rng.pick(FAULTS);
      const h = rng.pick(rig.hosts);
      say(`fault ${round}: ${await fault.apply(ctx, h)}`);
      faults++;
      for (let i = rng.int(0, 2); i > 0; i--) {
        const op = OPS[rng.pick(ops)];
        const did = op ? await op(ctx) : undefined;
        if (did) say(`  op: ${did}`);
      }
      for (const x of rig.hosts) {
        const a = x.agent;
        if (a && a.child.exitCode !== null && !ctx.killedAgents.has(a.pid)) {
          findings.push(
            `agent on ${x.name} exited by itself (code ${a.child.exitCode}) before fault ${round + 1}: ${a.logs().trim().split('\n').slice(-3).join(' | ')}`,
          );
          say(`  FINDING: ${findings.at(-1)}`);
          await x.startAgent();
        }
      }
      await sleep(rng.int(300, 1500));
    }
    for (const line of await undoOps(ctx)) say(`  undo: ${line}`);
    const end = Date.now();
    while (!(await converged(rig, checker, ledger)) && Date.now() - end < 30_000) await sleep(200);
    const ok = await converged(rig, checker, ledger);
    say(ok ? `converged after ${Date.now() - end} ms` : 'did not converge within 30 s after the last fault');
    if (!ok) findings.push('no convergence within 30 s after the last fault');
    await sleep(3_000);
    lost = await ledger.missing(rig);
  } finally {
    await checker.stop();
    const dir = values['logs-dir'] ?? join(tmpdir(), `supha-chaos-${seed}`);
    await mkdir(dir, { recursive: true });
    for (const h of rig.hosts) await writeFile(join(dir, `agent-${h.name}.log`), h.agentLogs.join('\n----- agent restarted -----\n'));
    await writeFile(join(dir, 'episodes.json'), JSON.stringify({ seed, faults, episodes: checker.episodes, lost, findings }, null, 2));
    say(`logs in ${dir}`);
    await rig.destroy();
  }
  for (const e of checker.episodes) say(`breach: ${e.kind} ${e.what} at +${(e.atMs / 1000).toFixed(1)}s, ${e.countedMs} ms counted`);
  for (const l of lost) say(`lost: ${l}`);
  for (const f of findings) say(`finding: ${f}`);
  say(
    `${checker.samples} samples; window ${values['window-ms']} ms, failover ${values['failover-ms']} ms; VIPs ${SET_NAMES.map((s) => SETS[s].vip).join(' ')}`,
  );
  const d = Math.round(checker.doubleMs);
  const n = Math.round(checker.noneMs);
  console.log(`chaos: ${faults} faults, double-run ${d} ms, none-run ${n} ms, confs lost ${lost.length}, bad upstream ${checker.badUpstream}, seed ${seed}`);
  return d === 0 && n === 0 && lost.length === 0 && checker.badUpstream === 0 && findings.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // No summary line: the run did not finish, its counts would say nothing.
    console.error(err);
    process.exit(70);
  },
);
