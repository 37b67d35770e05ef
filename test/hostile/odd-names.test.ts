import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { supha } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { baseConfig, ODD_NAMES } from './configs.js';

// A set name becomes a path (track file, rsync target <target>/<set>/ pushed with --delete); node,
// group and upstream names are written into the Nginx upstream file. Names that can escape a
// folder or a line must be refused by `supha config check` (exit 2), not used.
const PLACES: [string, (c: Record<string, any>, name: string) => void][] = [
  [
    'service set',
    (c, n) => {
      c.ha['service-sets'] = { [n]: c.ha['service-sets'].app };
    },
  ],
  [
    'node',
    (c, n) => {
      const nodes = c.nginx.upstream['node-group'].group1.nodes;
      nodes[n] = nodes.jetty1;
      delete nodes.jetty1;
    },
  ],
  [
    'node group',
    (c, n) => {
      const groups = c.nginx.upstream['node-group'];
      groups[n] = groups.group1;
      delete groups.group1;
    },
  ],
  [
    'upstream-name',
    (c, n) => {
      c.nginx.upstream['upstream-name'] = n;
    },
  ],
];

test('odd names (.., /, newline, ;, }, quote, space, empty) as set, node, group and upstream names are refused', async () => {
  const tmp = await tempDir('supha-odd-');
  const accepted: string[] = [];
  try {
    // The token the base config names: each refusal below is for the name, not a missing file.
    await writeFile(join(tmp.dir, 'agent.token'), 'odd-token\n', { mode: 0o600 });
    for (const [place, put] of PLACES) {
      for (const name of ODD_NAMES) {
        const c = baseConfig();
        put(c, name);
        const path = join(tmp.dir, 'config.json');
        await writeFile(path, JSON.stringify(c));
        const r = await supha(['--config', path, 'config', 'check']);
        if (r.code !== 2) accepted.push(`${place} ${JSON.stringify(name)}: exit ${r.code}`);
        else assert.doesNotMatch(r.stderr, /^\s+at /m);
      }
    }
  } finally {
    await tmp.cleanup();
  }
  assert.deepEqual(accepted, []);
});

test('unicode names are fine where they cannot escape (a set named 日志)', async () => {
  const tmp = await tempDir('supha-odd-');
  try {
    const c = baseConfig();
    c.ha['service-sets'] = { 日志: c.ha['service-sets'].app };
    const path = join(tmp.dir, 'config.json');
    await writeFile(path, JSON.stringify(c));
    await writeFile(join(tmp.dir, 'agent.token'), 'odd-token\n', { mode: 0o600 });
    const r = await supha(['--config', path, 'config', 'check']);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await tmp.cleanup();
  }
});
