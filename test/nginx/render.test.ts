import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { directives } from '../../src/nginx/conftext.js';
import { renderUpstream } from '../../src/nginx/index.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../helpers/tmp.js';

// Strings an attacker or a typo could put in a name or value: directive syntax included.
const hostile = fc.string({ unit: fc.constantFrom('a', 'b', '1', '-', '.', '_', ' ', '\n', ';', '{', '}', '#', '"', "'", '\\', '$', '/'), maxLength: 12 });
// Mostly good values, so that enough configs pass the schema for the property to say something.
const name = fc.oneof({ weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/) }, { weight: 1, arbitrary: hostile });
const param = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: good as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: hostile as fc.Arbitrary<unknown> },
  );
const node = fc.record({
  name,
  port: fc.integer({ min: 1, max: 65535 }),
  url: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostile }),
  backup: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  dead: fc.boolean(),
  weight: param(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 100 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, 10_001) })),
  'max-fails': param(fc.integer({ min: 0, max: 10 })),
  'fail-timeout': param(
    fc.oneof({ weight: 9, arbitrary: fc.constantFrom('1s', '10', '2m', '0', '3h') }, { weight: 1, arbitrary: fc.constantFrom('500ms', '1x', '') }),
  ),
});

test('whatever passes the config schema renders an upstream nginx -t accepts, with exactly the servers asked for', async () => {
  const { dir, cleanup } = await tempDir('supha-render-prop-');
  let valid = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(node, { minLength: 1, maxLength: 4 }), name, param(fc.integer({ min: 1, max: 9 })), async (nodes, group, groupWeight) => {
        const spec = (n: (typeof nodes)[number]) => {
          const out: Record<string, unknown> = {
            'health-check-url': `http://127.0.0.1:${n.port}/`,
            'upstream-url': n.url ?? `127.0.0.1:${n.port}`,
            'supervisor-program': 'p',
            backup: n.backup,
          };
          for (const k of ['weight', 'max-fails', 'fail-timeout'] as const) if (n[k] !== undefined) out[k] = n[k];
          return out;
        };
        const primary: Record<string, unknown> = { nodes: Object.fromEntries(nodes.map((n) => [n.name, spec(n)])), 'default-group': 'primary' };
        if (groupWeight !== undefined) primary.weight = groupWeight;
        const raw = {
          'project-name': 'prop',
          nginx: {
            'upstream-conf-path': join(dir, 'upstream.conf'),
            upstream: {
              'upstream-name': 'jetty',
              keepalive: 2,
              'node-group': {
                [group]: primary,
                'zz-standby': {
                  nodes: { 'zz-1': { 'health-check-url': 'http://127.0.0.1:9/', 'upstream-url': '127.0.0.1:9', 'supervisor-program': 'p' } },
                  'default-group': 'standby',
                },
              },
            },
          },
        };
        let cfg: ReturnType<typeof parseConfig>;
        try {
          cfg = parseConfig(JSON.stringify(raw), join(dir, 'config.json'));
        } catch (err) {
          if (err instanceof ConfigError) return;
          throw err;
        }
        valid++;
        const nginx = cfg.nginx!;
        const health = Object.fromEntries(nodes.filter((n) => n.dead).map((n) => [n.name, { status: 'dead' } as never]));
        const text = renderUpstream(nginx, group, health);
        await writeFile(join(dir, 'upstream.conf'), text);
        await writeFile(
          join(dir, 'nginx.conf'),
          `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n  include ${dir}/upstream.conf;\n  server { listen 127.0.0.1:1; location / { proxy_pass http://jetty; } }\n}\n`,
        );
        const t = await run('nginx', ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { reject: false });
        assert.equal(t.exitCode, 0, `nginx -t: ${t.stderr}\n${text}`);
        const ds = directives(text);
        assert.deepEqual(
          ds.filter((d) => d.depth === 0).map((d) => [d.name, d.args]),
          [['upstream', ['jetty']]],
          text,
        );
        const servers = ds.filter((d) => d.name === 'server');
        const want = Object.entries(nginx.upstream['node-group'][group]!.nodes);
        assert.deepEqual(
          servers.map((s) => s.args[0]),
          want.map(([, n]) => n['upstream-url']),
          text,
        );
        for (const [i, [n, spec]] of want.entries()) {
          const args = servers[i]!.args;
          assert.equal(args.includes('backup'), spec.backup, text);
          assert.equal(args.includes('down'), health[n] !== undefined, text);
        }
      }),
      { numRuns: 500 },
    );
  } finally {
    await cleanup();
  }
  assert.ok(valid >= 40, `only ${valid} generated configs were valid: the property says little`);
});
