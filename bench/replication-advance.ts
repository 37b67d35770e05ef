// Why a burst can take tens of seconds to replicate: on the MASTER every registry watcher
// callback queues one generation advance (src/sync/set.ts changed() -> advance()), each hashes
// the whole registry, they run one after another, and the push waits for the chain
// (src/sync/peer.ts pushOnce awaits advance()). Prints the callbacks a burst of new confs makes and
// what one advance costs here; their product is the wait the burst's last push sees.
// Run: node dist/bench/replication-advance.js [burst=200] [existing=60]
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { advance } from '../src/sync/generation.js';
import { watchRegistry } from '../src/sync/watch.js';
import { tempDir, waitFor } from '../test/helpers/tmp.js';

const BURST = Number(process.argv[2] ?? 200);
const EXISTING = Number(process.argv[3] ?? 60);

async function main(): Promise<void> {
  const tmp = await tempDir('supha-bench-advance-');
  try {
    const dir = tmp.dir;
    for (let i = 0; i < EXISTING; i++) await writeFile(join(dir, `seq${i}.conf`), `[program:seq${i}]\ncommand=/bin/sleep 100000\n`);
    let events = 0;
    const w = await watchRegistry(dir, () => {
      events++;
    });
    for (let i = 0; i < BURST; i++) await writeFile(join(dir, `burst${i}.conf`), `[program:burst${i}]\ncommand=/bin/sleep 100000\nenvironment=REV="${i}"\n`);
    // Settled: no new callback for 1 s.
    let seen = -1;
    let since = Date.now();
    await waitFor(
      'the watcher to settle',
      () => {
        if (events !== seen) {
          seen = events;
          since = Date.now();
        }
        return Date.now() - since > 1_000;
      },
      30_000,
    );
    await w.close();
    const t0 = performance.now();
    const first = await advance(dir, 'app', 'node1', 'token');
    const firstMs = performance.now() - t0;
    const n = 20;
    const t1 = performance.now();
    for (let i = 0; i < n; i++) await advance(dir, 'app', 'node1', 'token');
    const sameMs = (performance.now() - t1) / n;
    console.log(`registry of ${EXISTING + BURST} confs, a burst of ${BURST} new ones: ${events} watcher callbacks (${(events / BURST).toFixed(1)} per conf)`);
    console.log(
      `  one advance: ${firstMs.toFixed(1)} ms writing generation ${first?.counter ?? '?'}, ${sameMs.toFixed(1)} ms when nothing changed (hash only)`,
    );
    console.log(`  queued one per callback and run in series: about ${((events * sameMs) / 1000).toFixed(1)} s before the burst's last push may start`);
  } finally {
    await tmp.cleanup();
  }
}

await main();
