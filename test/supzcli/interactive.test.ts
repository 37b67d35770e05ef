import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { auditLines, SUPZCLI_BIN, supzcli } from '../helpers/supzcli.js';
import { waitFor, writeJson } from '../helpers/tmp.js';

describe('the supzcli prompt', () => {
  let sv: Supervisord;
  let env: Record<string, string>;
  const state = () => join(sv.dir, 'state');
  before(async () => {
    sv = await startSupervisord({
      programs: {
        web: { command: "/bin/sh -c 'while :; do echo tick; sleep 0.2; done'" },
        idle: { command: '/bin/sleep 1000' },
      },
    });
    await sv.client().startProcess('web');
    const cfg = await writeJson(join(sv.dir, 'config.json'), {
      'project-name': 't',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
    });
    env = { SUPHA_CONFIG: cfg, HOME: sv.dir, TERM: 'xterm' };
  });
  after(async () => sv?.stop());

  test('driven through a pipe: status first, the same verbs and refusals, exit 0', async () => {
    const r = await supzcli([], env, 'status web\nstop all\nversion\nstop idle\n\nbogus\nquit\n');
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split('supzcli> ');
    assert.match(out[0] ?? '', /^idle +STOPPED/m);
    assert.match(out[1] ?? '', /^web +RUNNING +pid \d+/);
    assert.match(out[3] ?? '', /^4\.\d+/);
    assert.match(out[4] ?? '', /^idle: not running\nidle: removed process group\nidle: conf parked/);
    assert.match(r.stderr, /^supzcli: refused: stop all/m);
    assert.match(r.stderr, /^supzcli: unknown verb "bogus"/m);
    assert.ok(!(await sv.client().getAllProcessInfo()).some((i) => i.name === 'idle'));
    const verbs = (await auditLines(state())).map((l) => `${l.verb}:${l.outcome}`);
    assert.deepEqual(verbs.slice(-7), ['status:ok', 'status:ok', 'stop:refused', 'version:ok', 'stop:begin', 'stop:ok', 'bogus:error']);
  });

  test('driven through a pty: line editing, history, Ctrl-C ends tail -f but not the prompt', async () => {
    // script(1) gives supzcli a real terminal; we type into it and read what the terminal shows.
    const child = spawn('script', ['-qfec', `${process.execPath} ${SUPZCLI_BIN}`, '/dev/null'], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d) => {
      screen += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const until = (re: RegExp, what: string) => waitFor(what, () => re.test(screen), 20_000);
    const type = (s: string) => child.stdin.write(s);
    try {
      await until(/supzcli> /, 'the prompt');
      assert.match(screen, /web +RUNNING/);
      type('version\r');
      await until(/\r\n4\.\d+\.\d+\r\n/, 'the version');
      type('stop all\r');
      await until(/refused: stop all/, 'the refusal');
      type('\x1b[A\x1b[A\r'); // up, up: "version" again
      await until(/4\.\d+\.\d+[\s\S]*4\.\d+\.\d+/, 'the recalled version');
      type('start idle\r');
      await until(/idle: added process group\r\nidle: started/, 'idle started');
      type('tail -f web\r');
      await until(/Press Ctrl-C to exit[\s\S]*tick/, 'tail -f output');
      type('\x03');
      const mark = screen.length;
      await waitFor('the prompt after Ctrl-C', () => screen.slice(mark).includes('supzcli> '), 20_000);
      // Tab completes a verb, then a program name (as supervisorctl's prompt does).
      let at = screen.length;
      type('vers\t');
      await until(/version $/, 'the verb completed');
      type('\r');
      await waitFor('the version again', () => /\r\n4\.\d+\.\d+\r\n/.test(screen.slice(at)), 20_000);
      at = screen.length;
      type('status we\t');
      await waitFor('the name completed', () => screen.slice(at).endsWith('status web '), 20_000);
      type('\r');
      await waitFor("web's status", () => /\r\nweb +RUNNING/.test(screen.slice(at)), 20_000);
      type('exit\r');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    assert.equal((await sv.client().getProcessInfo('idle')).statename, 'RUNNING');
    const history = await readFile(join(sv.dir, '.supzcli_history'), 'utf8');
    assert.deepEqual(history.trim().split('\n'), ['version', 'stop all', 'version', 'start idle', 'tail -f web', 'version', 'status web', 'exit']);
  });

  test('tail -f on the command line follows the log until SIGINT, then exits 0', async () => {
    const child = spawn(process.execPath, [SUPZCLI_BIN, 'tail', '-f', 'web'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('two ticks after the banner', () => /Press Ctrl-C to exit <==\n[\s\S]*tick[\s\S]*tick/.test(out), 20_000);
      const seen = out.length;
      await waitFor('a new tick', () => out.slice(seen).includes('tick'), 20_000);
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
