import assert from 'node:assert/strict';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { supha } from '../helpers/cli.js';
import { tempDir, writeJson } from '../helpers/tmp.js';

test('supha sync without a running agent says so (exit 4); bad use is a usage error (exit 2)', async () => {
  const tmp = await tempDir('supha-synccli-');
  try {
    const cfg = await writeJson(join(tmp.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': join(tmp.dir, 'state'),
      ha: { 'service-sets': { apps: { 'vrrp-instance': 'VI_APPS', registry: join(tmp.dir, 'registry') } } },
    });
    const none = await supha(['--config', cfg, 'sync', 'status']);
    assert.equal(none.code, 4, none.stderr);
    assert.match(none.stderr, /^supha: agent at .*agent\.sock: not running/);
    assert.equal(none.stderr.trim().split('\n').length, 1);
    const bad = await supha(['--config', cfg, 'sync', 'status', '--set', 'apps']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--set is not taken/);
    const verb = await supha(['--config', cfg, 'sync', 'flush']);
    assert.equal(verb.code, 2);
  } finally {
    await tmp.cleanup();
  }
});

test('supha sync history lists what pushes kept; restore needs the MASTER; adopt needs one of --from, --local', async () => {
  const tmp = await tempDir('supha-synchist-');
  try {
    const registry = join(tmp.dir, 'registry', 'apps');
    const stamp = '2026-12-02T10-00-00-000Z-push-node2';
    await mkdir(join(registry, '.supha-history', stamp), { recursive: true });
    await writeFile(join(registry, '.supha-history', stamp, 'billing.conf'), '[program:billing]\n');
    const cfg = await writeJson(join(tmp.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': join(tmp.dir, 'state'),
      supervisor: { 'registry-dirs': [] },
      ha: { 'service-sets': { apps: { 'vrrp-instance': 'VI_APPS', registry } } },
    });
    const hist = await supha(['--config', cfg, 'sync', 'history', 'apps']);
    assert.equal(hist.code, 0, hist.stderr);
    assert.match(hist.stdout, new RegExp(`^${stamp}/billing.conf  18 B  `));
    const none = await supha(['--config', cfg, 'sync', 'history']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name the set/);
    const restore = await supha(['--config', cfg, 'sync', 'restore', 'apps', 'billing.conf']);
    assert.equal(restore.code, 4, restore.stderr);
    await assert.rejects(access(join(registry, 'billing.conf')));
    const adopt = await supha(['--config', cfg, 'sync', 'adopt', 'apps']);
    assert.equal(adopt.code, 2);
    assert.match(adopt.stderr, /exactly one of --from NODE or --local/);
    const unknown = await supha(['--config', cfg, 'sync', 'adopt', 'nope', '--local']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown set "nope"/);
  } finally {
    await tmp.cleanup();
  }
});
