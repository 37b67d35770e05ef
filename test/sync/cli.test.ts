import assert from 'node:assert/strict';
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
