import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from '../../src/agent/index.js';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/util/log.js';
import { oneSetConfig } from '../helpers/agent.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { startSupervisord } from '../helpers/supervisord.js';
import { waitFor } from '../helpers/tmp.js';

// keepalived's `notify` scripts call `supha notify` (docs/agent.md): keepalived then holds no FIFO
// the agent reads, and that is no fault. Here a real keepalived writes to another FIFO: with no
// event yet the agent says it is not heard; once events come by `supha notify`, it no longer does
// (adversarial review: the supported notify-script setup was red in status for good).
test('a notify-script setup (events by supha notify, no FIFO held) is not reported as keepalived not heard', async () => {
  const sv = await startSupervisord({ programs: {} });
  const ka = await loneKeepalived(sv.dir, join(sv.dir, 'other.fifo'));
  let agent: Agent | undefined;
  try {
    await writeFile(join(sv.dir, 'ka.pid'), `${ka.pid}\n`);
    const cfg = parseConfig(JSON.stringify(await oneSetConfig(sv.url, 'conf.d', { 'reconcile-interval-ms': 300 })), join(sv.dir, 'config.json'));
    agent = new Agent(cfg, sv.client(), silentLogger);
    await agent.start();
    const a = agent;
    await waitFor('not heard, before any event', async () => (await a.status()).keepalived.deaf !== undefined, 15_000);
    agent.notify({ type: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100 }, 'notify');
    await waitFor('heard by supha notify', async () => (await a.status()).keepalived.deaf === undefined, 15_000);
    const s = await a.status();
    assert.equal(s.sets.app?.role, 'BACKUP', 'the notify event is acted on, not taken as stale');
  } finally {
    await agent?.stop();
    await ka.stop();
    await sv.stop();
  }
});
