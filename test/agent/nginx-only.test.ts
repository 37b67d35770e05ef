import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../helpers/agent.js';
import { ROOT } from '../helpers/cli.js';
import { startSupervisord } from '../helpers/supervisord.js';
import { freePort, writeJson } from '../helpers/tmp.js';

// A host that only does blue/green (no keepalived, no service sets) still runs the agent, for
// its health checks; it creates no FIFO.
test('the agent runs on a host with an nginx section and no ha section', async () => {
  const sv = await startSupervisord();
  try {
    const seed = JSON.parse(await readFile(join(ROOT, 'test/fixtures/seed-config.json'), 'utf8'));
    seed.nginx['upstream-conf-path'] = join(sv.dir, 'upstream.conf');
    seed.nginx['nginx-test-cmd'] = '/bin/true';
    seed.nginx['nginx-reload-cmd'] = '/bin/true';
    const port = await freePort();
    // Nodes that answer nothing (a free port) and whose commands do nothing.
    for (const group of Object.values(seed.nginx.upstream['node-group']) as any[]) {
      for (const node of Object.values(group.nodes) as any[]) {
        node['health-check-url'] = `http://127.0.0.1:${port}/`;
        node['start-cmd'] = '/bin/true';
        node['stop-cmd'] = '/bin/true';
      }
    }
    const cfg = await writeJson(join(sv.dir, 'config.json'), {
      ...seed,
      'state-dir': join(sv.dir, 'state'),
      'runtime-dir': join(sv.dir, 'runtime'),
      supervisor: { 'server-url': sv.url },
    });
    const agent = await startAgent(cfg, join(sv.dir, 'state', 'agent.sock'));
    try {
      const status = await agent.status();
      assert.deepEqual(Object.keys(status.sets ?? {}), []);
      assert.doesNotMatch(agent.logs(), /keepalived\.fifo/);
    } finally {
      const code = await agent.stop();
      assert.equal(code, 0, agent.logs().slice(-1500));
    }
  } finally {
    await sv.stop();
  }
});
