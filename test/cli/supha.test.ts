import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, supha } from '../helpers/cli.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { tempDir, writeJson } from '../helpers/tmp.js';

const pexec = promisify(execFile);

describe('supha status', () => {
  let sv: Supervisord;
  let cfgPath: string;
  before(async () => {
    sv = await startSupervisord({
      programs: {
        web: { command: '/bin/sleep 1000' },
        idle: { command: '/bin/sleep 1000' },
        workers: { command: '/bin/sleep 1000', numprocs: 2 },
      },
    });
    await sv.client().startProcess('web');
    await sv.client().startProcessGroup('workers');
    cfgPath = await writeJson(join(sv.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
    });
  });
  after(async () => sv?.stop());

  test('--json matches supervisord', async () => {
    const r = await supha(['status', '--json', '--config', cfgPath]);
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { programs: { name: string; group: string; state: string; pid: number; uptime: number; description: string }[] };
    const web = got.programs.find((p) => p.name === 'web');
    const infos = await sv.client().getAllProcessInfo();
    const info = infos.find((p) => p.name === 'web');
    assert.ok(web && info);
    assert.equal(web.state, 'RUNNING');
    assert.equal(web.pid, info.pid);
    assert.ok(Number.isInteger(web.pid) && web.pid > 0);
    assert.equal(web.group, 'web');
    assert.deepEqual(
      got.programs.map((p) => `${p.name} ${p.state}`),
      ['idle STOPPED', 'web RUNNING', 'workers:workers_00 RUNNING', 'workers:workers_01 RUNNING'],
    );
    assert.equal(got.programs.find((p) => p.name === 'idle')?.pid, 0);
  });

  test('the person-readable layout equals supervisorctl status', async () => {
    const r = await supha(['status'], { SUPHA_CONFIG: cfgPath });
    assert.equal(r.code, 0, r.stderr);
    const theirs = await pexec('supervisorctl', ['-c', sv.confPath, 'status']).catch((e: { stdout: string }) => e);
    // Uptime can tick between the two calls: compare with the uptime seconds masked.
    const mask = (s: string) => s.replace(/uptime \d+:\d\d:\d\d/g, 'uptime X').trimEnd();
    assert.equal(mask(r.stdout), mask(theirs.stdout));
  });

  test('a dead socket: non-zero exit, one line naming the socket', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const sock = join(dir, 'gone.sock');
      const cfg = await writeJson(join(dir, 'c.json'), { 'project-name': 't', supervisor: { 'server-url': `unix://${sock}` } });
      const r = await supha(['status', '--config', cfg]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.ok(r.stderr.includes(sock), r.stderr);
    } finally {
      await cleanup();
    }
  });
});

describe('supha config check', () => {
  test("accepts the seed's config unchanged", async () => {
    const r = await supha(['config', 'check', '--config', join(ROOT, 'test/fixtures/seed-config.json')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: ok/);
    assert.match(r.stdout, /nginx upstream jetty/);
  });

  test('prints every problem as path: message and exits 2', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const c = JSON.parse(await readFile(join(ROOT, 'test/fixtures/seed-config.json'), 'utf8'));
      c.nginx.upstream['node-group'].group1.nodes.jetty1.backup = 'false';
      c.nginx.upstream.keepalive = '1';
      c.nginx.colour = 'x';
      const path = await writeJson(join(dir, 'config.json'), c);
      const r = await supha(['config', 'check', '--config', path]);
      assert.equal(r.code, 2);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines[0], `${path}: 3 problems`);
      assert.deepEqual(lines.slice(1).sort(), [
        'nginx.colour: unknown key',
        'nginx.upstream.keepalive: expected number, got string',
        'nginx.upstream.node-group.group1.nodes.jetty1.backup: expected boolean, got string',
      ]);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    } finally {
      await cleanup();
    }
  });

  test('missing file and invalid JSON: exit 2, one line, no stack', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let r = await supha(['config', 'check'], { SUPHA_CONFIG: join(dir, 'nope.json') });
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /nope\.json: no such file/);
      await writeFile(join(dir, 'bad.json'), '{ "project-name": "x",, }');
      r = await supha(['config', 'check', '--config', join(dir, 'bad.json')]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /bad\.json: invalid JSON/);
    } finally {
      await cleanup();
    }
  });

  test('usage errors exit 2 with one line', async () => {
    const r = await supha(['frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});

test('a reader that goes away (supha ... | head) is no crash', async () => {
  const { spawn } = await import('node:child_process');
  const { SUPHA_BIN } = await import('../helpers/cli.js');
  const child = spawn(process.execPath, [SUPHA_BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Close our end of stdout before the child writes: its write gets EPIPE.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
