import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../helpers/agent.js';
import { ROOT } from '../helpers/cli.js';
import { createNetRig } from '../helpers/netns.js';
import { startNginx } from '../helpers/nginx.js';
import { startSupervisord } from '../helpers/supervisord.js';
import { writeJson } from '../helpers/tmp.js';

// A host that only does blue/green (no keepalived, no service sets) still runs the agent, for
// its health checks; it creates no FIFO. Its own namespace: with no ha section the agent listens
// on the default 127.0.0.1:7373, which another agent on the machine may hold. Its own real nginx,
// named by nginx-test-cmd and pid-file: with /bin/true and the default pid-file the agent's first
// round went looking for the machine's nginx (/run/nginx.pid), and when one ran there it waited
// 10 s for a reload that /bin/true never did, holding up SIGTERM until the helper's SIGKILL
// (exit code null, about 1 run in 4 under load).
test('the agent runs on a host with an nginx section and no ha section', async () => {
  const net = await createNetRig(1);
  const host = net.hosts[0];
  assert.ok(host);
  const sv = await startSupervisord({ wrap: net.wrap(host) });
  const nginx = await startNginx({ upstreamName: 'jetty', upstreamText: 'upstream jetty { server 127.0.0.1:1; }\n', wrap: net.wrap(host) });
  try {
    const seed = JSON.parse(await readFile(join(ROOT, 'test/fixtures/seed-config.json'), 'utf8'));
    Object.assign(seed.nginx, {
      'nginx-home': '/usr',
      'upstream-conf-path': nginx.upstreamPath,
      'nginx-test-cmd': nginx.testCmd,
      'nginx-reload-cmd': nginx.reloadCmd,
      'pid-file': nginx.pidFile,
    });
    // Nodes that answer nothing (nothing listens on port 9 in the namespace), started and
    // stopped by commands that do nothing.
    for (const group of Object.values(seed.nginx.upstream['node-group']) as any[]) {
      for (const node of Object.values(group.nodes) as any[]) {
        node['health-check-url'] = 'http://127.0.0.1:9/';
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
    const agent = await startAgent(cfg, join(sv.dir, 'state', 'agent.sock'), { prefix: net.wrap(host) });
    try {
      const status = await agent.status();
      assert.deepEqual(Object.keys(status.sets ?? {}), []);
      assert.doesNotMatch(agent.logs(), /keepalived\.fifo/);
    } finally {
      const code = await agent.stop();
      assert.equal(code, 0, `${agent.child.signalCode ?? ''} ${agent.logs().slice(-1500)}`);
    }
  } finally {
    await nginx.stop();
    await sv.stop();
    await net.destroy();
  }
});
