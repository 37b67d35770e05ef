import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseConfig } from '../../src/config/index.js';
import { renderUpstream } from '../../src/nginx/index.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../helpers/tmp.js';
import { baseConfig } from './configs.js';

// Whatever names pass the schema, the rendered upstream passes `nginx -t` and holds exactly the
// directives the config asked for: one `server` per node of the group, and keepalive.
const name = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc
    .tuple(fc.string({ maxLength: 4 }), fc.constantFrom('\n', '\r', ';', '}', '{', '#', '"', '$', '\n}\nserver 10.9.9.9:80;\n#'), fc.string({ maxLength: 4 }))
    .map(([a, b, c]) => `${a}${b}${c}`),
);

// The directives of an nginx text, comments removed (nginx's own rule: # to the end of the line).
function directives(text: string): string[] {
  return text
    .replace(/#[^\n]*/g, '')
    .split(/[;{}]/)
    .map((s) => s.trim().split(/\s+/)[0] ?? '')
    .filter((w) => w !== '');
}

test('renderUpstream: names that pass the schema render to a file nginx -t accepts, with only the asked directives', async () => {
  const tmp = await tempDir('supha-render-prop-');
  try {
    await mkdir(join(tmp.dir, 'logs'), { recursive: true });
    const upstream = join(tmp.dir, 'upstream.conf');
    await writeFile(
      join(tmp.dir, 'nginx.conf'),
      `pid ${tmp.dir}/nginx.pid;\nerror_log ${tmp.dir}/error.log;\nevents {}\nhttp {\n  include ${upstream};\n  server { listen 127.0.0.1:1; location / { proxy_pass http://jetty; } }\n}\n`,
    );
    await fc.assert(
      fc.asyncProperty(name, name, (group, node) => {
        const c = baseConfig();
        const groups = c.nginx.upstream['node-group'];
        groups[group] = groups.group1;
        if (group !== 'group1') delete groups.group1;
        groups[group].nodes[node] = groups[group].nodes.jetty1;
        if (node !== 'jetty1') delete groups[group].nodes.jetty1;
        let cfg: ReturnType<typeof parseConfig>;
        try {
          cfg = parseConfig(JSON.stringify(c), join(tmp.dir, 'config.json'));
        } catch {
          return true; // refused by the schema: fine
        }
        const nginx = cfg.nginx;
        if (!nginx) throw new Error('no nginx section');
        const text = renderUpstream(nginx, group, {});
        assert.deepEqual(directives(text), ['upstream', 'server', 'server', 'keepalive'], text);
        return writeFile(upstream, text).then(() =>
          run('nginx', ['-t', '-q', '-p', tmp.dir, '-c', join(tmp.dir, 'nginx.conf')], { timeoutMs: 10_000, reject: false }).then((r) => {
            assert.equal(r.exitCode, 0, `${text}\n${r.stderr}`);
          }),
        );
      }),
      { numRuns: 40 },
    );
  } finally {
    await tmp.cleanup();
  }
});
