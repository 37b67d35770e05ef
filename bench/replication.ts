// Replication latency: a conf written into the MASTER's registry → the same file, same content,
// present in the peer's replica. Two namespace hosts, each with a real supervisord, rsync daemon,
// keepalived and `supha agent` (test/helpers/sync-pair.ts), default debounce; the writer and the
// watcher are this process. The baseline, in the same run: a bare `rsync -a --delete` of the same
// tree to the same peer's rsync daemon (another folder of its module) after each change, and of
// the whole tree after the burst; the ratios say what supha adds to rsync itself.
// Run: node dist/bench/replication.js [changes=60] [burst=200]
import { execFile } from 'node:child_process';
import { watch } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { programConf } from '../test/helpers/supervisord.js';
import { startSyncPair } from '../test/helpers/sync-pair.js';
import { waitFor } from '../test/helpers/tmp.js';

const CHANGES = Number(process.argv[2] ?? 60);
const BURST = Number(process.argv[3] ?? 200);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const pexec = promisify(execFile);
const conf = (name: string, rev: number) => programConf(name, { command: '/bin/sleep 100000', extra: { environment: `REV="${rev}"` } });

// Notes when each expected file shows up in `dir` with the expected text (fs.watch, plus a slow
// poll in case an event is missed).
function arrivals(dir: string) {
  const want = new Map<string, { text: string; resolve: (t: number) => void }>();
  const check = async (file: string) => {
    const w = want.get(file);
    if (!w) return;
    const t = performance.now();
    if ((await readFile(join(dir, file), 'utf8').catch(() => '')) !== w.text) return;
    if (want.get(file) !== w) return;
    want.delete(file);
    w.resolve(t);
  };
  const watcher = watch(dir, (_ev, name) => {
    if (name) void check(String(name));
  });
  const poll = setInterval(() => {
    for (const f of want.keys()) void check(f);
  }, 50);
  return {
    // Resolves with the arrival time; rejects after 60 s.
    expect: (file: string, text: string) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${file} did not reach the peer within 60 s`)), process.env.BENCH_DEBUG ? 10_000 : 60_000);
        want.set(file, {
          text,
          resolve: (t) => {
            clearTimeout(timer);
            resolve(t);
          },
        });
      }),
    close: () => {
      watcher.close();
      clearInterval(poll);
    },
  };
}

async function main(): Promise<void> {
  const pair = await startSyncPair();
  const [n1, n2] = pair.nodes;
  if (!n1 || !n2) throw new Error('two nodes expected');
  const seen = arrivals(n2.registry);
  try {
    await n1.setRole('MASTER');
    await n2.setRole('BACKUP');
    await waitFor('node1 MASTER and in sync', async () => (await n1.syncStatus()).peers[0]?.state === 'in-sync', 30_000);

    // The bare rsync: n1's registry into <peer module>/<folder>/, from n1's namespace; wall ms.
    const bare = async (folder: string) => {
      const t = performance.now();
      await pexec(
        'ip',
        ['netns', 'exec', n1.host.ns, 'rsync', '-a', '--delete', `--password-file=${n2.rsyncd.passwordFile}`, `${n1.registry}/`, `${n2.rsyncd.url}/${folder}/`],
        { timeout: 60_000 },
      );
      return performance.now() - t;
    };
    await bare('bare-baseline');

    // One change at a time: half new confs, half rewrites of the one before; after each, the
    // bare rsync of the same tree (so it carries the same change).
    const one: number[] = [];
    const bareOne: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const file = `seq${i - (i % 2)}.conf`;
      const text = conf(file.replace('.conf', ''), i);
      const arrived = seen.expect(file, text);
      const t0 = performance.now();
      await writeFile(join(n1.registry, file), text);
      one.push((await arrived) - t0);
      bareOne.push(await bare('bare-baseline'));
      if (process.env.BENCH_DEBUG) console.error(i, one.at(-1));
    }

    // A burst: BURST new confs written back to back.
    const each: Promise<{ at: number; wrote: number }>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < BURST; i++) {
      const file = `burst${i}.conf`;
      const text = conf(`burst${i}`, i);
      const arrived = seen.expect(file, text);
      const w = performance.now();
      await writeFile(join(n1.registry, file), text);
      each.push(arrived.then((at) => ({ at, wrote: w })));
    }
    const writeMs = performance.now() - t0;
    const got = await Promise.all(each);
    const lat = got.map((g) => g.at - g.wrote);
    const allMs = Math.max(...got.map((g) => g.at)) - t0;
    const p = (await n1.syncStatus()).peers[0];
    const bareBurst = await bare('bare-burst');

    console.log('replication latency, two namespace hosts (real agents, rsync daemon), debounce 10 ms (the default)');
    console.log('  (a conf written into the MASTER registry -> the same content in the peer replica)');
    console.log(`  single changes (n=${one.length}): p50 ${fmt(pct(one, 50))}  p99 ${fmt(pct(one, 99))}  max ${fmt(Math.max(...one))}`);
    console.log(
      `  burst of ${BURST} (written in ${fmt(writeMs)}): all present ${fmt(allMs)} after the first write; per conf p50 ${fmt(pct(lat, 50))}  p99 ${fmt(pct(lat, 99))}`,
    );
    console.log(
      `  baseline, bare rsync -a --delete of the same tree to the same daemon (n=${bareOne.length}): p50 ${fmt(pct(bareOne, 50))}  p99 ${fmt(pct(bareOne, 99))}; ratio supha/rsync p50 ${(pct(one, 50) / pct(bareOne, 50)).toFixed(2)}, p99 ${(pct(one, 99) / pct(bareOne, 99)).toFixed(2)}`,
    );
    console.log(
      `  baseline, bare rsync of the whole tree after the burst into an empty folder: ${fmt(bareBurst)}; ratio supha burst all-present/rsync ${(allMs / bareBurst).toFixed(2)}`,
    );
    console.log(`  goal p99 < 300 ms: single changes ${pct(one, 99) < 300 ? 'met' : 'MISSED'}; burst ${pct(lat, 99) < 300 ? 'met' : 'MISSED'}`);
    console.log(`  last push (rsync run) took ${p?.lastPush?.durationMs ?? '?'} ms`);
    // A slow run explains itself: a failed push waits retry-min-ms (500), doubling up to 30 s.
    const failedPushes = (n1.agent?.logs() ?? '')
      .split('\n')
      .filter((l) => l.includes('"msg":"push failed"'))
      .map((l) => JSON.parse(l) as { retryInMs: number; why: string });
    console.log(
      `  failed pushes during the run: ${failedPushes.length}${failedPushes.length > 0 ? ` (backoff waited ${failedPushes.reduce((a, f) => a + f.retryInMs, 0)} ms in all; last: ${failedPushes.at(-1)?.why})` : ''}`,
    );
  } catch (err) {
    if (process.env.BENCH_DEBUG) {
      console.error(JSON.stringify(await n1.syncStatus(), null, 1));
      console.error(n1.agent?.logs().slice(-4000));
      const { readdir } = await import('node:fs/promises');
      console.error('n1', (await readdir(n1.registry)).join(' '));
      console.error('n2', (await readdir(n2.registry, { withFileTypes: true })).map((d) => d.name).join(' '));
    }
    throw err;
  } finally {
    seen.close();
    await pair.destroy();
  }
}

await main();
