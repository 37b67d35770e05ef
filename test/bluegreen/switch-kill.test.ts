import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { type Rig, spawnUntil, startRig } from '../helpers/bluegreen.js';
import { supha } from '../helpers/cli.js';
import { get } from '../helpers/load.js';
import { freePort, waitFor } from '../helpers/tmp.js';

const pexec = promisify(execFile);
const gone = (p: string) =>
  stat(p).then(
    () => false,
    () => true,
  );

// Where a switch is killed: the line it prints once the journal says that step.
const KILLS: { at: string; re: RegExp; ends: 'group1' | 'group2' }[] = [
  { at: 'starting', re: /start group2: /, ends: 'group1' },
  { at: 'gate', re: /health gate: /, ends: 'group1' },
  { at: 'swapped', re: /swap roles: /, ends: 'group1' },
  { at: 'swapped (in the reload)', re: /upstream jetty -> group2: /, ends: 'group1' },
  { at: 'swapped (verify window)', re: /verify for /, ends: 'group1' },
  { at: 'verified (draining)', re: /drain: wait for nginx's old workers/, ends: 'group2' },
];

describe('a switch killed at each journal step, with the agent running', () => {
  let rig: Rig;
  let agent: AgentProc;
  let testing = true;
  const tests = { runs: 0, failed: [] as string[] };
  let tester: Promise<void>;

  before(async () => {
    rig = await startRig({ g2: { version: 'v2', delayMs: 1_000 }, switch: { 'verify-window-ms': 1_500, 'drain-ms': 60_000, 'lock-wait-ms': 20_000 } });
    const listen = `127.0.0.1:${await freePort()}`;
    await rig.writeConfig((c) => {
      c.ha = { agent: { listen } };
    });
    await rig.startNodes('g1', 'g1-backup');
    agent = await startAgent(rig.cfgPath, join(rig.stateDir, 'agent.sock'));
    // nginx -t on the live configuration, over and over, for the whole test.
    const [file, ...args] = rig.nginx.testCmd.split(' ');
    tester = (async () => {
      while (testing) {
        tests.runs++;
        await pexec(file as string, args).catch((err: { stderr?: string }) => {
          tests.failed.push(err.stderr ?? String(err));
        });
      }
    })();
  });

  after(async () => {
    testing = false;
    await tester;
    await agent?.stop();
    await rig?.stop();
  });

  const primary = async () =>
    JSON.parse(await readFile(join(rig.runtimeDir, 'node-group-status.json'), 'utf8').catch(() => '{}')).primary?.['group-name'] ?? 'group1';
  const body = (g: string) => (g === 'group1' ? 'v1\n' : 'v2\n');

  for (const k of KILLS) {
    test(`killed at "${k.at}": the agent recovers to ${k.ends}, and switch --to group2 ends on group2`, async () => {
      if ((await primary()) !== 'group1') {
        const back = await supha(['switch', '--to', 'group1', '--config', rig.cfgPath]);
        assert.equal(back.code, 0, back.stderr + back.stdout);
      }
      // A long request holds an old nginx worker, so the drain lasts until it is aborted.
      const ac = new AbortController();
      const slow = get(`${rig.nginx.url}slow/60000`, { timeoutMs: 70_000, signal: ac.signal }).catch(() => undefined);
      const logged = agent.logs().length;
      const run = spawnUntil(['switch', '--to', 'group2', '--config', rig.cfgPath], k.re);
      await run.seen;
      run.child.kill('SIGKILL');
      await run.exited;
      ac.abort();
      await slow;
      // The journal goes before the agent logs what it did: wait on both (this kill's log only).
      const found = /a killed switch was found by the health round/;
      const since = () => agent.logs().slice(logged);
      await waitFor(
        'the agent to recover the switch',
        async () => (await gone(join(rig.stateDir, 'switch-journal.json'))) && found.test(since()),
        30_000,
      ).catch(() => {});
      assert.ok(await gone(join(rig.stateDir, 'switch-journal.json')), 'the journal is gone');
      assert.match(since(), found);
      assert.equal(await primary(), k.ends);
      await waitFor(`nginx to serve ${k.ends}`, async () => (await get(rig.nginx.url)).body === body(k.ends));

      const sw = await supha(['switch', '--to', 'group2', '--config', rig.cfgPath]);
      assert.equal(sw.code, 0, sw.stderr + sw.stdout);
      if (k.ends === 'group2') assert.match(sw.stdout, /group2 is primary already: nothing to switch/);
      assert.equal(await primary(), 'group2');
      assert.equal((await get(rig.nginx.url)).body, 'v2\n');
      assert.equal((await rig.sv.client().getProcessInfo('g1')).statename, 'STOPPED');
      assert.deepEqual(tests.failed, [], 'the live upstream always passed nginx -t');
    });
  }

  test('nginx -t ran throughout and never failed', () => {
    assert.ok(tests.runs > 10, `nginx -t ran ${tests.runs} times`);
    assert.deepEqual(tests.failed, []);
  });
});
