import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isUserError } from '../../src/errors.js';
import { createLogger } from '../../src/util/log.js';
import { ROOT } from '../helpers/cli.js';
import { startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, waitFor } from '../helpers/tmp.js';

test('a password never reaches the log: wrong-password errors, clients and configs logged whole', async () => {
  const port = await freePort();
  const secret = 'pw-Zq81-never-logged';
  const sv = await startSupervisord({ inet: { port, username: 'ops', password: secret } });
  try {
    const file = join(sv.dir, 'log', 'supha.log');
    const log = createLogger({ destination: file });
    const client = sv.client({ url: `http://127.0.0.1:${port}`, username: 'ops', password: `${secret}-wrong` });
    const err = await client.getState().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error && /authentication failed/.test(err.message));
    log.error({ err, client }, 'call failed');
    log.info({ supervisor: { username: 'ops', password: secret }, token: secret }, 'config');
    log.info({ headers: { authorization: `Basic ${Buffer.from(`ops:${secret}`).toString('base64')}` } }, 'headers');
    log.flush();
    const text = await waitFor('the log lines', async () => {
      const t = await readFile(file, 'utf8');
      return t.split('\n').length > 3 ? t : undefined;
    });
    assert.match(text, /authentication failed/);
    assert.match(text, /\[redacted\]/);
    assert.doesNotMatch(text, new RegExp(secret));
    assert.doesNotMatch(text, new RegExp(Buffer.from(`ops:${secret}`).toString('base64')));
  } finally {
    await sv.stop();
  }
});

test('a log file that cannot be opened is a one-line user error', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'file-not-dir'), 'a file where a folder should be');
    assert.throws(
      () => createLogger({ destination: join(dir, 'file-not-dir', 'x.log') }),
      (e: unknown) => isUserError(e) && e.message.startsWith(`log file ${join(dir, 'file-not-dir', 'x.log')}: `),
    );
  } finally {
    await cleanup();
  }
});

// logrotate renames the file, then sends SIGHUP: the lines before the HUP are in the old file,
// the lines after it in a new one at the same path, and none is lost or doubled.
test('SIGHUP reopens the log file: rename, HUP, new lines in the new file, none lost', async () => {
  const { dir, cleanup } = await tempDir();
  const file = join(dir, 'agent.log');
  const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/log-lines.mjs'), join(ROOT, 'dist'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitFor('the logger to write', async () => out.includes('ready') && (await readFile(file, 'utf8').catch(() => '')).length > 1000);
    await rename(file, `${file}.1`);
    const sizeAtRename = (await readFile(`${file}.1`, 'utf8')).length;
    child.kill('SIGHUP');
    await waitFor('lines in the new file', async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').length > 50);
    child.kill('SIGTERM');
    await exited;
    const last = Number(out.trim().split('\n').at(-1));
    const oldText = await readFile(`${file}.1`, 'utf8');
    const old = oldText.trim().split('\n');
    const now = (await readFile(file, 'utf8')).trim().split('\n');
    // The whole file, its last newline too (trimmed, it is one shorter when no line came between
    // the rename and the HUP: a clean-clone CI run failed so).
    assert.ok(oldText.length >= sizeAtRename, 'the old file kept growing until the HUP (the process held it open)');
    const ns = (lines: string[]) =>
      lines
        .map((l) => JSON.parse(l))
        .filter((j) => j.msg === 'line')
        .map((j) => j.n as number);
    const seen = [...ns(old), ...ns(now)];
    assert.deepEqual(
      seen,
      Array.from({ length: last + 1 }, (_, i) => i),
      'every line once, in order, across the two files',
    );
    assert.ok(
      now.some((l) => /SIGHUP: log file reopened/.test(l)),
      'the reopen is logged in the new file',
    );
    assert.ok(ns(now).length > 0 && ns(old).length > 0);
  } finally {
    child.kill('SIGKILL');
    await cleanup();
  }
});
