import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BACKEND } from '../helpers/bluegreen.js';
import { type CliResult, SUPHA_BIN } from '../helpers/cli.js';
import { type HaNode, type HaPair, startHaPair } from '../helpers/hapair.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { freePort, waitFor } from '../helpers/tmp.js';

// supha inside a host's namespace (its loopback is where the nodes listen).
function suphaOn(node: HaNode, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', node.host.ns, process.execPath, SUPHA_BIN, ...args, '--config', node.cfgPath],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: number }).code : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

// Blue/green nodes that are programs of the service set, on two hosts (namespaces) with real
// supervisord, keepalived and agents.
describe('blue/green on an HA pair (nodes are programs of the set)', { timeout: 180_000 }, () => {
  let pair: HaPair;
  const nginxes: Nginx[] = [];
  const ports: Record<string, number> = {};
  before(async () => {
    for (const n of ['g1', 'g2']) ports[n] = await freePort();
    const program = (n: string, v: string) => ({ command: `${process.execPath} ${BACKEND} ${ports[n]} ${v} ok 0 ${n}`, stopwaitsecs: 5 });
    const node = (n: string) => ({ 'health-check-url': `http://127.0.0.1:${ports[n]}/`, 'upstream-url': `127.0.0.1:${ports[n]}`, 'supervisor-program': n });
    // A real Nginx per host (a reload is verified by new worker pids, so it must be there).
    for (let i = 0; i < 2; i++) nginxes.push(await startNginx({ upstreamName: 'jetty', upstreamText: 'upstream jetty { server 127.0.0.1:9; }\n' }));
    let made = 0;
    pair = await startHaPair({
      programs: { g1: program('g1', 'v1'), g2: program('g2', 'v2') },
      configure: (cfg, dir) => {
        const ngx = nginxes[made++];
        if (!ngx) throw new Error('one nginx per host');
        cfg['runtime-dir'] = join(dir, 'runtime');
        cfg.nginx = {
          'nginx-test-cmd': ngx.testCmd,
          'nginx-reload-cmd': ngx.reloadCmd,
          'upstream-conf-path': ngx.upstreamPath,
          'pid-file': ngx.pidFile,
          'service-set': 'app',
          upstream: {
            'upstream-name': 'jetty',
            'node-group': {
              group1: { nodes: { g1: node('g1') }, 'default-group': 'primary' },
              group2: { nodes: { g2: node('g2') }, 'default-group': 'standby' },
            },
          },
          health: { 'interval-ms': 200, 'fail-threshold': 2 },
          switch: { 'health-passes': 2, 'verify-window-ms': 300, 'drain-ms': 300, 'check-interval-ms': 100 },
        };
      },
    });
  });
  after(async () => {
    await pair?.destroy();
    for (const n of nginxes) await n.stop();
  });
  const n1 = () => pair.nodes[0]!;
  const n2 = () => pair.nodes[1]!;
  // The agent's /metrics, asked from inside the host's namespace.
  const metricsOn = async (h: HaNode) =>
    new Promise<string>((resolve, reject) =>
      execFile('ip', ['netns', 'exec', h.host.ns, 'curl', '-sf', 'http://127.0.0.1:7373/metrics'], { timeout: 10_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
  // Waits for `n` reconcile passes more on a host.
  const passes = async (h: HaNode, n: number) => {
    const from = (await h.agent!.status()).reconcile.passes;
    await waitFor(`${n} reconcile passes`, async () => (await h.agent!.status()).reconcile.passes >= from + n, 20_000);
  };

  test("the MASTER's HA loop starts only the primary group's nodes; the BACKUP runs and restarts none", async () => {
    await waitFor('node1 MASTER', async () => (await n1().agent!.status()).sets.app.role === 'MASTER');
    await waitFor('node2 BACKUP', async () => (await n2().agent!.status()).sets.app.role === 'BACKUP');
    await waitFor('g1 on node1', async () => (await n1().running()).includes('g1'));
    await passes(n1(), 4);
    assert.deepEqual(await n1().running(), ['g1']);
    assert.deepEqual(await n2().running(), []);
    // The standby colour, loaded and STOPPED on purpose, does not make the MASTER unhealthy
    // (track file 1 would put keepalived in FAULT and move the VIP away).
    const check = await suphaOn(n1(), ['check', 'app']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.equal((await n2().agent!.status()).modules.bluegreen.role, 'BACKUP');
    assert.doesNotMatch(n2().agent!.logs(), /restarting dead node/);
  });

  test('a switch on the BACKUP is refused with one line and changes nothing', async () => {
    const r = await suphaOn(n2(), ['switch']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^supha: switch refused: this host is not MASTER of service set app, [^\n]*the agent says BACKUP[^\n]*\n$/);
    // Issue 11's leftovers: the upstream and the nodes' starts are the MASTER's too.
    for (const [args, what] of [
      [['upstream', 'render'], 'upstream render'],
      [['nodes', 'start'], 'nodes start'],
    ] as const) {
      const x = await suphaOn(n2(), [...args]);
      assert.equal(x.code, 1, x.stdout);
      assert.match(x.stderr, new RegExp(`^supha: ${what} refused: this host is not MASTER of service set app, [^\\n]*\\n$`));
    }
    assert.deepEqual(await n2().running(), []);
  });

  test('a switch on the MASTER: the standby runs, the old group stays stopped, the roles are in the registry', async () => {
    const r = await suphaOn(n1(), ['switch']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    await passes(n1(), 4);
    assert.deepEqual(await n1().running(), ['g2'], 'the HA loop did not start group1 again');
    const inSet = await readFile(join(n1().sv.registryDir, 'supha-node-group-status.conf'), 'utf8');
    assert.equal(JSON.parse(inSet.trim().split('\n').at(-1)!.slice(2)).primary['group-name'], 'group2');
    const seed = JSON.parse(await readFile(join(n1().dir, 'runtime', 'node-group-status.json'), 'utf8'));
    assert.deepEqual(seed, { standby: { 'group-name': 'group1', nodes: ['g1'] }, primary: { 'group-name': 'group2', nodes: ['g2'] } });
    assert.deepEqual(await n2().running(), []);
    // The switch process told the agent: its outcome is in the agent's /metrics.
    const m = await metricsOn(n1());
    assert.match(m, /^supha_switches_total\{outcome="ok"\} 1$/m);
    assert.match(m, /^supha_switch_duration_seconds_count\{outcome="ok"\} 1$/m);
  });

  test('roles or journal that cannot be read: the MASTER starts neither colour anew, says so, is not healthy', async () => {
    const rolesFile = join(n1().sv.registryDir, 'supha-node-group-status.conf');
    const journal = join(n1().dir, 'state', 'switch-journal.json');
    const good = await readFile(rolesFile, 'utf8');
    const blocked = async (re: RegExp) => {
      await waitFor('the set blocked', async () => re.test((await n1().agent!.status()).sets.app.blocked ?? ''), 20_000);
      await passes(n1(), 3);
      assert.deepEqual(await n1().running(), ['g2'], 'group1 was not started beside group2');
      const c = await suphaOn(n1(), ['check', 'app']);
      assert.equal(c.code, 1, c.stdout);
      assert.match(c.stdout, /blue\/green target unknown, no node started/);
      assert.match(await metricsOn(n1()), /^supha_set_bluegreen_blocked\{set="app"\} 1$/m);
    };
    const clear = () => waitFor('healthy again', async () => (await suphaOn(n1(), ['check', 'app'])).code === 0, 20_000);
    await writeFile(rolesFile, '; Written by supha switch\n; {"primary": \n');
    try {
      await blocked(/invalid JSON/);
    } finally {
      await writeFile(rolesFile, good);
    }
    await clear();
    await writeFile(journal, '{"from": "group1", "to"');
    try {
      await blocked(/unreadable switch journal/);
    } finally {
      await rm(journal, { force: true });
    }
    await clear();
    assert.deepEqual(await n1().running(), ['g2']);
  });
});
