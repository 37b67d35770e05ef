import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, type AgentContext, type AgentModule, MODULES, type Role } from '../../src/agent/index.js';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/util/log.js';
import { oneSetConfig } from '../helpers/agent.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { startSupervisord } from '../helpers/supervisord.js';
import { waitFor } from '../helpers/tmp.js';

// The contract replication and health checks rely on: a module listed in MODULES is loaded only
// when enabled, started with a context whose roleOf/onRoleChange follow the agent, shown in
// status, and stopped with the agent.
test('agent modules: enabled ones start with a live context, show in status, stop with the agent', async () => {
  const sv = await startSupervisord({ programs: { a: { command: '/bin/sleep 1000' } } });
  const ka = await loneKeepalived(sv.dir, join(sv.dir, 'ka.fifo'));
  const changes: [string, Role, Role][] = [];
  let ctx: AgentContext | undefined;
  let stopped = false;
  const probe: AgentModule = {
    name: 'probe',
    async start(c) {
      ctx = c;
      c.onRoleChange((set, role, previous) => changes.push([set, role, previous]));
    },
    async stop() {
      stopped = true;
    },
    status: () => ({ changes: changes.length }),
  };
  const entries = [
    { name: 'probe', enabled: () => true, load: async () => probe },
    { name: 'never', enabled: () => false, load: async (): Promise<AgentModule> => assert.fail('a disabled module must not be loaded') },
  ];
  MODULES.push(...entries);
  let agent: Agent | undefined;
  try {
    await writeFile(join(sv.dir, 'ka.pid'), `${ka.pid}\n`);
    const cfg = parseConfig(JSON.stringify(await oneSetConfig(sv.url, 'conf.d')), join(sv.dir, 'config.json'));
    agent = new Agent(cfg, sv.client(), silentLogger);
    await agent.start();
    assert.ok(ctx, 'the module was started');
    assert.equal(ctx.roleOf('app'), 'UNKNOWN');
    assert.equal(ctx.signal.aborted, false);
    agent.notify({ type: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 }, 'test');
    await waitFor('the role change', () => changes.length > 0);
    assert.deepEqual(changes[0], ['app', 'MASTER', 'UNKNOWN']);
    assert.equal(ctx.roleOf('app'), 'MASTER');
    assert.deepEqual(((await agent.status()).modules as Record<string, unknown>).probe, { changes: 1 });
    await agent.stop();
    agent = undefined;
    assert.equal(stopped, true);
    assert.equal(ctx.signal.aborted, true);
  } finally {
    await agent?.stop();
    MODULES.splice(MODULES.indexOf(entries[0]!), entries.length);
    await ka.stop();
    await sv.stop();
  }
});
