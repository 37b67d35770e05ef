import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { liteOf, loadConfigLite } from '../../src/config/lite.js';
import { CONFIG_KEYS, type KeyTree } from '../../src/config/lite-keys.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { tempDir, writeJson } from '../helpers/tmp.js';

// The key tree of a zod schema: objects' keys, records as '*', wrappers (default, optional…) seen through.
function keysOf(schema: unknown): KeyTree | true {
  const def = (schema as { _zod: { def: { type: string; shape?: Record<string, unknown>; valueType?: unknown; innerType?: unknown } } })._zod.def;
  if (def.type === 'object') return Object.fromEntries(Object.entries(def.shape ?? {}).map(([k, v]) => [k, keysOf(v)]));
  if (def.type === 'record') return { '*': keysOf(def.valueType) };
  if (def.innerType !== undefined) return keysOf(def.innerType);
  return true;
}

test("the light loader's allow-list of keys is exactly the schema's", () => {
  assert.deepEqual(CONFIG_KEYS, keysOf(configSchema));
});

test('an unknown key anywhere (a typo) is reported as the full loader reports it, not ignored', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ 'project-name': 'x', supervisor: { server_url: 'unix:///tmp/other.sock' } }, /supervisor\.server_url: unknown key/],
      [{ 'project-name': 'x', statedir: 's' }, /statedir: unknown key/],
      [{ 'project-name': 'x', ha: { agent: { control_socket: 'a.sock' } } }, /ha\.agent\.control_socket: unknown key/],
      [{ 'project-name': 'x', ha: { 'service-sets': { w: { 'vrrp-instance': 'V', registry: 'r', vips: 'x' } } } }, /ha\.service-sets\.w\.vips: unknown key/],
      [{ 'project-name': 'x', supzcli: { 'refuse-verb': ['x'] } }, /supzcli\.refuse-verb: unknown key/],
    ];
    for (const [i, [cfg, re]] of cases.entries()) {
      await assert.rejects(loadConfigLite(await writeJson(join(dir, `c${i}.json`), cfg), {}), re);
    }
    // Known keys, set sections included, still load (and the control socket resolves).
    const path = await writeJson(join(dir, 'ok.json'), {
      'project-name': 'x',
      'state-dir': 'st',
      ha: { 'service-sets': { w: { 'vrrp-instance': 'V', registry: 'r' } }, agent: { 'control-socket': 'run/a.sock' } },
    });
    const ok = await loadConfigLite(path, {});
    assert.deepEqual(ok, liteOf(await loadConfig(path, {})));
    assert.deepEqual(ok.serviceSets, { w: join(dir, 'r') });
    assert.equal(ok.controlSocket, join(dir, 'run/a.sock'));
  } finally {
    await cleanup();
  }
});
