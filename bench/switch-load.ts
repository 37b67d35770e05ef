// Benchmark: failed requests through a real Nginx during 20 consecutive `supha switch`es in each
// switch.mode (render-primary: render + reload; both-groups: no reload), beside 20 bare
// `nginx -s reload`s under the same load in the same run, for clients that send
// `Connection: close` and for keep-alive clients. Loopback only; stops by itself.
// Run: npx tsc -p . && node dist/bench/switch-load.js [rounds]
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { startRig } from '../test/helpers/bluegreen.js';
import { SUPHA_BIN } from '../test/helpers/cli.js';
import { get, type LoadResult } from '../test/helpers/load.js';
import { waitFor } from '../test/helpers/tmp.js';

const pexec = promisify(execFile);
const ROUNDS = Number(process.argv[2] ?? 20);
const CLOSE_CLIENTS = Number(process.env.CLOSE_CLIENTS ?? 16);
const KEEPALIVE_CLIENTS = Number(process.env.KEEPALIVE_CLIENTS ?? 16);

class LoadThread {
  private readonly w: Worker;
  private final?: Promise<LoadResult>;
  constructor(url: string, clients: number, keepAlive: boolean) {
    this.w = new Worker(join(import.meta.dirname, 'load-worker.js'), { workerData: { url, clients, keepAlive, maxSeconds: 900 } });
  }
  private ask(msg: string): Promise<LoadResult> {
    return new Promise((resolve) => {
      this.w.once('message', resolve);
      this.w.postMessage(msg);
    });
  }
  snap = () => this.ask('snap');
  stop = () => {
    this.final ??= this.ask('stop');
    return this.final;
  };
}

const diff = (a: LoadResult, b: LoadResult) => {
  const reasons: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.reasons)) if (v - (a.reasons[k] ?? 0) > 0) reasons[k] = v - (a.reasons[k] ?? 0);
  return { ok: b.ok - a.ok, failed: b.failed - a.failed, seconds: b.seconds - a.seconds, reasons };
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function main() {
  const rig = await startRig({
    nginxWorkers: Number(process.env.NGINX_WORKERS ?? 2),
    switch: { 'health-passes': 2, 'health-deadline-ms': 20_000, 'verify-window-ms': 500, 'drain-ms': 5_000, 'check-interval-ms': 100 },
  });
  const threads: LoadThread[] = [];
  try {
    // Upstream keepalive above the seed's 1: new backend connections are what a small machine
    // runs out of first. Rendered before either phase, so both run the same config.
    await rig.writeConfig((c) => {
      c.nginx.upstream.keepalive = Number(process.env.UPSTREAM_KEEPALIVE ?? 32);
    });
    await rig.sv.client().startProcess('g1');
    await rig.sv.client().startProcess('g1-backup');
    for (const n of ['g1', 'g1-backup']) await waitFor(n, async () => (await get(`http://127.0.0.1:${rig.ports[n]}/`).catch(() => undefined))?.code === 200);
    await pexec(process.execPath, [SUPHA_BIN, 'upstream', 'render', '--config', rig.cfgPath]);
    await waitFor('nginx', async () => (await get(rig.nginx.url).catch(() => undefined))?.code === 200);
    const close = new LoadThread(rig.nginx.url, CLOSE_CLIENTS, false);
    const keep = new LoadThread(rig.nginx.url, KEEPALIVE_CLIENTS, true);
    threads.push(close, keep);
    await sleep(2_000);
    const snaps = async () => ({ close: await close.snap(), keep: await keep.snap() });

    console.log(`load: ${CLOSE_CLIENTS} Connection: close clients + ${KEEPALIVE_CLIENTS} keep-alive clients through nginx ${rig.nginx.url}`);
    const r0 = await snaps();
    const [rfile, ...rargs] = rig.nginx.reloadCmd.split(' ');
    for (let i = 0; i < ROUNDS; i++) {
      await pexec(rfile as string, rargs);
      await sleep(1_500);
    }
    const r1 = await snaps();

    const switches = async (mode: string) => {
      const times: number[] = [];
      const inside: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t = performance.now();
        const { stdout } = await pexec(process.execPath, [SUPHA_BIN, 'switch', '--config', rig.cfgPath]);
        times.push(performance.now() - t);
        const inner = /done: \S+ is primary \((\d+\.\d+)s\)/.exec(stdout)?.[1];
        inside.push(Number(inner) * 1000);
        process.stdout.write(`  ${mode} switch ${i + 1}/${ROUNDS}: ${((performance.now() - t) / 1000).toFixed(2)}s wall (${inner}s inside supha)\n`);
      }
      return { mode, times, inside, end: await snaps() };
    };

    const r2 = await switches('render-primary');
    // The other mode: both groups go into the upstream once (one reload, before the measure).
    await rig.writeConfig((c) => {
      c.nginx.switch.mode = 'both-groups';
    });
    await pexec(process.execPath, [SUPHA_BIN, 'upstream', 'render', '--config', rig.cfgPath]);
    await sleep(2_000);
    const r3 = await snaps();
    const r4 = await switches('both-groups');
    await close.stop();
    await keep.stop();

    const phases = [
      [`${ROUNDS} bare nginx -s reload`, r0, r1],
      [`${ROUNDS} switches render-primary`, r1, r2.end],
      [`${ROUNDS} switches both-groups`, r3, r4.end],
    ] as const;
    console.log('');
    console.log(`phase                          req/s   close: ok / failed     keep-alive: ok / failed`);
    const rows: Record<string, { close: ReturnType<typeof diff>; keep: ReturnType<typeof diff> }> = {};
    for (const [name, a, b] of phases) {
      const c = diff(a.close, b.close);
      const k = diff(a.keep, b.keep);
      rows[name] = { close: c, keep: k };
      const rate = Math.round((c.ok + c.failed + k.ok + k.failed) / c.seconds);
      console.log(
        name.padEnd(30),
        String(rate).padStart(6),
        `   ${c.ok} / ${c.failed}`.padEnd(22),
        `   ${k.ok} / ${k.failed}`,
        JSON.stringify({ ...c.reasons, ...k.reasons }),
      );
    }
    console.log('');
    const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
    for (const r of [r2, r4]) {
      console.log(
        `${r.mode}: median switch ${secs(median(r.times))} wall, CLI start included (min ${secs(Math.min(...r.times))}, max ${secs(Math.max(...r.times))})`,
      );
      console.log(`  inside supha (lock to done): median ${secs(median(r.inside))} (min ${secs(Math.min(...r.inside))}, max ${secs(Math.max(...r.inside))})`);
    }
    console.log('');
    const per = (f: number, ok: number) => `${((f / Math.max(1, f + ok)) * 1e4).toFixed(2)} per 10k`;
    console.log('failed requests per kind of client:');
    for (const [name, row] of Object.entries(rows)) {
      console.log(`  ${name.padEnd(30)} close ${row.close.failed}, keep-alive ${row.keep.failed} (${per(row.keep.failed, row.keep.ok)})`);
    }
  } finally {
    for (const t of threads) await t.stop().catch(() => {});
    await rig.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
