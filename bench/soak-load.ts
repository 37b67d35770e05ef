import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { get } from '../test/helpers/load.js';

// A light client for bench/soak.ts, run inside the host's namespace (`ip netns exec`): one
// `Connection: close` GET every PAUSE ms to URL. A line `snap` on stdin prints the counters as
// one JSON line; `stop` prints them and exits. Run: node dist/bench/soak-load.js URL [PAUSE_MS]
const [url, pause = '20'] = process.argv.slice(2);
if (!url) throw new Error('usage: soak-load.js URL [PAUSE_MS]');
const res = { ok: 0, failed: 0, reasons: {} as Record<string, number>, bodies: {} as Record<string, number> };
let running = true;
const loop = (async () => {
  while (running) {
    try {
      const r = await get(url, { close: true, timeoutMs: 5_000 });
      if (r.code === 200) {
        res.ok++;
        const b = r.body.trim().replace(/-\d+$/, '');
        res.bodies[b] = (res.bodies[b] ?? 0) + 1;
      } else {
        res.failed++;
        res.reasons[r.code] = (res.reasons[r.code] ?? 0) + 1;
      }
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      res.failed++;
      res.reasons[why] = (res.reasons[why] ?? 0) + 1;
    }
    await sleep(Number(pause));
  }
})();
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'stop') {
    running = false;
    await loop;
  }
  process.stdout.write(`${JSON.stringify(res)}\n`);
  if (line === 'stop') process.exit(0);
});
