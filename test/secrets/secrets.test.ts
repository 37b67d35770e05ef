import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { filesUnder } from '../chaos/observe.js';
import { programConf } from '../helpers/supervisord.js';
import { supzcli } from '../helpers/supzcli.js';
import { type SyncPair, startSyncPair } from '../helpers/sync-pair.js';
import { waitFor } from '../helpers/tmp.js';

// The secrets the rig uses: the agents' API token and the rsync daemon's password.
const SECRETS = ['pair-token', 'test-secret'];

// Two hosts doing what writes files and logs: replication pushes (rsync with a password file),
// peer role checks (the token), supzcli stop/start (audit log, parked store), status calls.
describe('secrets stay out of logs and files', { timeout: 180_000 }, () => {
  let pair: SyncPair;
  const outputs: string[] = [];
  before(async () => {
    pair = await startSyncPair();
    const [n1, n2] = pair.nodes;
    if (!n1 || !n2) throw new Error('two nodes expected');
    await writeFile(join(n1.registry, 'billing.conf'), programConf('billing', { command: '/bin/sleep 100000' }));
    await n1.setRole('MASTER');
    await n2.setRole('BACKUP');
    await waitFor('billing replicated', async () => (await readFile(join(n2.registry, 'billing.conf'), 'utf8').catch(() => '')) !== '', 20_000);
    await waitFor('billing running', async () => (await n1.sv.client().getProcessInfo('billing')).statename === 'RUNNING', 20_000);
    for (const args of [['stop', 'billing'], ['start', 'billing'], ['status']]) {
      const r = await supzcli(['--config', n1.cfgPath, ...args]);
      outputs.push(r.stdout, r.stderr);
    }
    for (const n of pair.nodes) {
      const r = await n.sync('status');
      outputs.push(r.stdout, r.stderr);
    }
    // A peer that refuses the password: rsync's error reaches the log and the status. node1
    // pushes to node2 with the password file of node2's daemon (the rig's peer config).
    await writeFile(n2.rsyncd.passwordFile, 'wrong-password\n', { mode: 0o600 });
    await writeFile(join(n1.registry, 'other.conf'), programConf('other', { command: '/bin/sleep 100000' }));
    await waitFor('a failed push', async () => JSON.stringify(await n1.syncStatus()).includes('error'), 20_000);
  });
  after(async () => {
    await pair?.destroy();
  });

  test('no log line, CLI output or file under the hosts holds a password or token (files meant to hold them aside)', async () => {
    const holders = new Set(pair.nodes.flatMap((n) => [join(n.dir, 'token'), n.rsyncd.passwordFile, join(dirname(n.rsyncd.passwordFile), 'rsyncd.secrets')]));
    const found: string[] = [];
    const texts: [string, string][] = pair.nodes.flatMap((n) => [[`${n.name} agent log`, n.agent?.logs() ?? ''] as [string, string]]);
    texts.push(['CLI output', outputs.join('\n')]);
    for (const n of pair.nodes) {
      for (const d of [n.dir, dirname(n.rsyncd.passwordFile)]) {
        for (const f of await filesUnder(d)) {
          if (holders.has(f) || f.endsWith('.sock')) continue;
          texts.push([f, await readFile(f, 'latin1').catch(() => '')]);
        }
      }
    }
    assert.ok(texts.length > 10, 'files were collected');
    assert.ok((pair.nodes[0]?.agent?.logs() ?? '').length > 0, 'the agent logged');
    for (const [where, text] of texts) for (const s of SECRETS) if (text.includes(s)) found.push(`${s} in ${where}`);
    assert.deepEqual(found, []);
  });
});
