import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isUserError } from '../../src/errors.js';
import { createLogger } from '../../src/util/log.js';
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
