import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SupervisorClient, SupervisorFault, SupervisorProtocolError, SupervisorUnreachable } from '../../src/supervisor/index.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort } from '../helpers/tmp.js';

describe('the wire transport against a real supervisord', () => {
  let sv: Supervisord;
  const client = (o: { url?: string; username?: string; password?: string } = {}) =>
    new SupervisorClient({ url: o.url ?? sv.url, username: o.username, password: o.password, timeoutMs: 5_000, waitTimeoutMs: 30_000 });
  before(async () => {
    sv = await startSupervisord({
      programs: { talker: { command: "/bin/sh -c 'echo héllo-out; exec /bin/sleep 1000'" }, pool: { command: '/bin/sleep 1000', numprocs: 2 } },
    });
  });
  after(async () => sv?.stop());

  test('calls that wait, faults, logs and config info', async () => {
    const c = client();
    assert.equal(await c.getPID(), sv.pid);
    assert.equal(await c.startProcess('talker'), true);
    await assert.rejects(c.startProcess('talker'), (e) => e instanceof SupervisorFault && e.fault === 'ALREADY_STARTED');
    await assert.rejects(c.getProcessInfo('nope'), (e) => e instanceof SupervisorFault && e.fault === 'BAD_NAME');
    const started = await c.startProcessGroup('pool');
    assert.deepEqual(
      started.map((r) => [r.name, r.status]),
      [
        ['pool_00', 80],
        ['pool_01', 80],
      ],
    );
    assert.deepEqual(
      (await c.getAllProcessInfo()).map((p) => [p.name, p.statename]),
      [
        ['pool_00', 'RUNNING'],
        ['pool_01', 'RUNNING'],
        ['talker', 'RUNNING'],
      ],
    );
    assert.match(await c.readProcessStdoutLog('talker', 0, 100), /héllo-out/);
    assert.deepEqual(
      (await c.getAllConfigInfo()).map((i) => i.name),
      ['pool_00', 'pool_01', 'talker'],
    );
    assert.equal((await c.stopProcessGroup('pool')).length, 2);
    assert.equal(await c.stopProcess('talker'), true);
  });

  test('a dead socket and a wrong password are clear errors', async () => {
    await assert.rejects(
      client({ url: `unix://${join(sv.dir, 'gone.sock')}` }).getState(),
      (e) => e instanceof SupervisorUnreachable && /no socket file/.test(e.message),
    );
    const port = await freePort();
    const inet = await startSupervisord({ inet: { port, username: 'ops', password: 'pw' } });
    try {
      const url = `http://127.0.0.1:${port}`;
      assert.equal((await client({ url, username: 'ops', password: 'pw' }).getState()).statename, 'RUNNING');
      await assert.rejects(
        client({ url, username: 'ops', password: 'no' }).getState(),
        (e) => e instanceof SupervisorUnreachable && /authentication failed/.test(e.message),
      );
    } finally {
      await inet.stop();
    }
  });

  test('a server that answers garbage (a fake: supervisord cannot) is a protocol error', async () => {
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end('<methodResponse><params><param>');
    });
    const port = await freePort();
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
    try {
      await assert.rejects(client({ url: `http://127.0.0.1:${port}` }).getState(), (e) => e instanceof SupervisorProtocolError);
    } finally {
      srv.close();
    }
  });
});
