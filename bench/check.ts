// `supha check SET` latency (keepalived's vrrp_script runs it every few seconds): median of 15
// runs against a running agent, beside a bare `node -e 0` measured in the same loop. The issue's
// goal is < 150 ms; on a loaded machine node's own start-up dominates, so the difference is shown.
// Run: node dist/bench/check.js
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAgent } from '../test/helpers/agent.js';
import { SUPHA_BIN } from '../test/helpers/cli.js';
import { loneKeepalived } from '../test/helpers/keepalived.js';
import { startSupervisord } from '../test/helpers/supervisord.js';
import { freePort } from '../test/helpers/tmp.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<void> {
  const sv = await startSupervisord({ programs: { a: { command: '/bin/sleep 100000' }, b: { command: '/bin/sleep 100000' } } });
  const ka = await loneKeepalived(sv.dir, join(sv.dir, 'ka.fifo'));
  const cfg = join(sv.dir, 'config.json');
  try {
    await writeFile(join(sv.dir, 'ka.pid'), `${ka.pid}\n`);
    await writeFile(
      cfg,
      JSON.stringify({
        'project-name': 'bench',
        'state-dir': 'state',
        supervisor: { 'server-url': sv.url, 'registry-dirs': [] },
        ha: {
          keepalived: { 'notify-fifo': 'ka.fifo', 'pid-file': 'ka.pid' },
          'service-sets': { app: { 'vrrp-instance': 'VI_1', registry: 'conf.d' } },
          agent: { listen: `127.0.0.1:${await freePort()}` },
        },
      }),
    );
    const agent = await startAgent(cfg, join(sv.dir, 'state', 'agent.sock'));
    try {
      execFileSync(process.execPath, [SUPHA_BIN, '--config', cfg, 'notify', 'INSTANCE', 'VI_1', 'MASTER']);
      await new Promise((r) => setTimeout(r, 1000));
      const check: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < 15; i++) {
        let t0 = performance.now();
        execFileSync(process.execPath, [SUPHA_BIN, '--config', cfg, 'check', 'app']);
        check.push(performance.now() - t0);
        t0 = performance.now();
        execFileSync(process.execPath, ['-e', '0']);
        bare.push(performance.now() - t0);
      }
      const c = median(check);
      const b = median(bare);
      console.log(`supha check (agent answers, 2 programs RUNNING): median ${c.toFixed(0)} ms`);
      console.log(`bare node -e 0:                                   median ${b.toFixed(0)} ms`);
      console.log(
        `supha's own part: ${(c - b).toFixed(0)} ms; check / bare node = ${(c / b).toFixed(2)}; goal < 150 ms: ${c < 150 ? 'met' : 'NOT met on this machine'}`,
      );
    } finally {
      await agent.stop();
    }
  } finally {
    await ka.stop();
    await sv.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
