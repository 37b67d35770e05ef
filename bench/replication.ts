// Replication latency: a conf written into the MASTER's registry → the same file present in the
// peer's replica. Two loopback hosts (real supervisord and rsync daemon each, the sync module as
// the agent runs it). Run: node dist/bench/replication.js [changes=60] [burst=200]
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { programConf } from '../test/helpers/supervisord.js';
import { type SyncHost, startSyncHost } from '../test/helpers/sync-host.js';

const CHANGES = Number(process.argv[2] ?? 60);
const BURST = Number(process.argv[3] ?? 200);
const DEBOUNCE = 30;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const conf = (name: string, n: number) => programConf(name, { command: '/bin/true', extra: { environment: `REV="${n}"` } });

// Polls the peer's replica until `file` holds `text`; returns when it does.
async function present(host: SyncHost, file: string, text: string, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const got = await readFile(join(host.registry, file), 'utf8').catch(() => '');
    if (got === text) return performance.now();
    if (performance.now() > deadline) throw new Error(`${file} never reached the peer`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function main(): Promise<void> {
  const [a, b] = await Promise.all([startSyncHost('bencha'), startSyncHost('benchb')]);
  try {
    a.roles.set('apps', 'MASTER');
    // The config defaults: debounce-ms 30 (src/config/schema-ha.ts).
    await a.startModule([b], { 'debounce-ms': DEBOUNCE });
    await b.startModule([a], { 'debounce-ms': DEBOUNCE });
    await a.module?.idle();

    // One change at a time: half new confs, half rewrites of an existing one.
    const one: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const file = i % 2 === 0 ? `seq${i}.conf` : `seq${i - 1}.conf`;
      const text = conf(file.replace('.conf', ''), i);
      const t0 = performance.now();
      await writeFile(join(a.registry, file), text);
      one.push((await present(b, file, text)) - t0);
    }

    // A burst: BURST new confs written back to back.
    const written = new Map<string, number>();
    const seen = new Map<string, number>();
    const t0 = performance.now();
    for (let i = 0; i < BURST; i++) {
      const file = `burst${i}.conf`;
      await writeFile(join(a.registry, file), conf(`burst${i}`, i));
      written.set(file, performance.now());
    }
    const writeMs = performance.now() - t0;
    const deadline = performance.now() + 60_000;
    while (seen.size < BURST && performance.now() < deadline) {
      const now = performance.now();
      for (const f of await readdir(b.registry)) if (written.has(f) && !seen.has(f)) seen.set(f, now);
      await new Promise((r) => setTimeout(r, 2));
    }
    if (seen.size < BURST) throw new Error(`only ${seen.size}/${BURST} burst confs reached the peer`);
    const allMs = Math.max(...seen.values()) - t0;
    const each = [...written].map(([f, w]) => (seen.get(f) ?? Number.NaN) - w);
    const pushes = a.module?.status().sets.apps?.peers[0];

    console.log(`replication latency, loopback, rsync daemon, debounce ${DEBOUNCE} ms (conf written on the MASTER -> present on the peer)`);
    console.log(`  single changes (n=${one.length}): p50 ${fmt(pct(one, 50))}  p99 ${fmt(pct(one, 99))}  max ${fmt(Math.max(...one))}`);
    console.log(
      `  burst of ${BURST} (written in ${fmt(writeMs)}): all present after ${fmt(allMs)}; per conf p50 ${fmt(pct(each, 50))}  p99 ${fmt(pct(each, 99))}`,
    );
    console.log(`  goal p99 < 300 ms: single ${pct(one, 99) < 300 ? 'met' : 'MISSED'}, burst ${pct(each, 99) < 300 ? 'met' : 'MISSED'}`);
    console.log(`  last push took ${pushes?.lastPush?.durationMs ?? '?'} ms`);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

await main();
