import assert from 'node:assert/strict';
import { chmod, chown, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigFast } from '../../src/config/lite.js';
import { loadConfig } from '../../src/config/load.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// What the one loader says: the config, or its error message.
const verdict = (p: Promise<unknown>) =>
  p.then(
    (cfg) => ({ cfg }),
    (err: unknown) => ({ err: (err as Error).message }),
  );

// The fast door (supzcli, supha check/notify) says exactly what loadConfig says, on its first run
// (no cache) and on the next (from the cache). The light loader it replaces took null for the
// default and let "__proto__": {} and "toString": {} through, where the schema refuses them.
test('loadConfigFast agrees with loadConfig, cached or not, on valid and invalid configs', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const texts = [
      { 'project-name': 'x', 'state-dir': 'st' },
      {
        'project-name': 'x',
        'state-dir': 'st',
        supervisor: { 'server-url': 'http://127.0.0.1:9001', username: 'u', password: 'p', 'registry-dirs': ['a', '/b'] },
      },
      {
        'project-name': 'x',
        'state-dir': 'st',
        ha: { 'service-sets': { s: { 'vrrp-instance': 'VI', registry: 'reg' } }, agent: { 'control-socket': 'a.sock' } },
      },
      { 'project-name': 'x', 'state-dir': 'st', supervisor: { 'server-url': null } },
      { 'project-name': 'x', 'state-dir': 'st', supervisor: { 'timeout-ms': null } },
      { 'project-name': 'x', 'state-dir': 'st', supzcli: { 'refuse-verbs': null } },
      { 'project-name': 'x', 'state-dir': null },
      { 'project-name': 'x', 'state-dir': 'st', supervisor: { 'timeout-ms': 'soon' } },
      { 'project-name': 'x', 'state-dir': 'st', supervisor: { server_url: 'unix:///x.sock' } },
    ].map((c) => JSON.stringify(c));
    texts.push('{"project-name":"x","state-dir":"st","__proto__":{}}', '{"project-name":"x","state-dir":"st","toString":{}}');
    texts.push(
      '{"project-name":"x","state-dir":"st","supervisor":{"__proto__":{}}}',
      '{"project-name":"x","state-dir":"st","ha":{"agent":{"constructor":{}}}}',
    );
    texts.push(await readFile(join(ROOT, 'test/fixtures/seed-config.json'), 'utf8'));
    for (const [i, text] of texts.entries()) {
      const path = join(dir, `c${i}.json`);
      await writeFile(path, text);
      const want = await verdict(loadConfig(path, {}));
      assert.deepEqual(await verdict(loadConfigFast(path, {})), want, `first run: ${text}`);
      assert.deepEqual(await verdict(loadConfigFast(path, {})), want, `cached: ${text}`);
    }
    await assert.rejects(loadConfigFast(join(dir, 'none.json'), {}), /none\.json: no such file/);
  } finally {
    await cleanup();
  }
});

test("the cache holds the schema's verdict only for the same file, schema and zod, and only when it is ours", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, 'config.json');
    const cache = join(dir, 'st', 'config-cache.json');
    await writeFile(path, JSON.stringify({ 'project-name': 'x', 'state-dir': 'st' }));
    assert.equal((await loadConfigFast(path, {}))['project-name'], 'x');
    assert.equal((await stat(cache)).mode & 0o777, 0o600);
    // A hit is taken from the cache: a (test-only) edit of its config shows through.
    const body = JSON.parse(await readFile(cache, 'utf8'));
    await writeFile(cache, JSON.stringify({ ...body, config: { ...body.config, 'project-name': 'from-cache' } }), { mode: 0o600 });
    assert.equal((await loadConfigFast(path, {}))['project-name'], 'from-cache');
    // Writable by others, or someone else's: ignored, the loader decides (and rewrites it).
    await chmod(cache, 0o622);
    assert.equal((await loadConfigFast(path, {}))['project-name'], 'x');
    await writeFile(cache, JSON.stringify({ ...body, config: { ...body.config, 'project-name': 'from-cache' } }), { mode: 0o600 });
    if (process.getuid?.() === 0) {
      await chown(cache, 65534, 65534);
      assert.equal((await loadConfigFast(path, {}))['project-name'], 'x');
    }
    // Another text: the loader again; an invalid one is reported as the loader reports it.
    await writeFile(path, JSON.stringify({ 'project-name': 'y', 'state-dir': 'st' }));
    assert.equal((await loadConfigFast(path, {}))['project-name'], 'y');
    await writeFile(path, JSON.stringify({ 'project-name': 'y', 'state-dir': 'st', statedir: 1 }));
    await assert.rejects(loadConfigFast(path, {}), /statedir: unknown key/);
    // A rebuilt schema (its module's mtime changes): the cache no longer holds.
    await writeFile(path, JSON.stringify({ 'project-name': 'z', 'state-dir': 'st' }));
    await loadConfigFast(path, {});
    const edited = JSON.parse(await readFile(cache, 'utf8'));
    await writeFile(cache, JSON.stringify({ ...edited, config: { ...edited.config, 'project-name': 'stale' } }), { mode: 0o600 });
    assert.equal((await loadConfigFast(path, {}))['project-name'], 'stale');
    const schemaJs = fileURLToPath(new URL('../../src/config/schema.js', import.meta.url));
    const st = await stat(schemaJs);
    await utimes(schemaJs, st.atime, new Date(st.mtimeMs + 1000));
    try {
      assert.equal((await loadConfigFast(path, {}))['project-name'], 'z');
    } finally {
      await utimes(schemaJs, st.atime, st.mtime);
    }
  } finally {
    await cleanup();
  }
});
