import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { liteOf, loadConfigLite } from '../../src/config/lite.js';
import { loadConfig } from '../../src/config/load.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir, writeJson } from '../helpers/tmp.js';

// The light loader (supzcli's read-only verbs) must read what the full loader reads.
test('loadConfigLite gives the same keys, defaults and resolved paths as loadConfig', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const configs = [
      { 'project-name': 'x' },
      {
        'project-name': 'x',
        'state-dir': 'st',
        supervisor: { 'server-url': 'http://127.0.0.1:9001', username: 'u', password: 'p', 'registry-dirs': ['a', '/b'], 'timeout-ms': 5 },
      },
      { 'project-name': 'x', ha: { 'service-sets': { s: { 'vrrp-instance': 'VI', registry: 'reg' } } }, supzcli: { 'refuse-verbs': ['restart'] } },
    ];
    for (const [i, c] of configs.entries()) {
      const path = await writeJson(join(dir, `c${i}.json`), c);
      assert.deepEqual(await loadConfigLite(path, {}), liteOf(await loadConfig(path, {})));
    }
    const seed = join(ROOT, 'test/fixtures/seed-config.json');
    assert.deepEqual(await loadConfigLite(seed, {}), liteOf(await loadConfig(seed, {})));
  } finally {
    await cleanup();
  }
});

test('a config the light loader cannot vouch for gets the full loader and its error', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify({ 'project-name': 'x', supervisor: { 'timeout-ms': 'soon' } }));
    await assert.rejects(loadConfigLite(path, {}), /supervisor\.timeout-ms: expected number, got string/);
    await assert.rejects(loadConfigLite(join(dir, 'none.json'), {}), /none\.json: no such file/);
  } finally {
    await cleanup();
  }
});
