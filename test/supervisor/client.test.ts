import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SupervisorFault, SupervisorProtocolError, SupervisorUnreachable, update } from '../../src/supervisor/index.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir } from '../helpers/tmp.js';

describe('supervisord client against a real supervisord', () => {
  let sv: Supervisord;
  before(async () => {
    sv = await startSupervisord({
      programs: {
        sleeper: { command: '/bin/sleep 1000' },
        talker: { command: "/bin/sh -c 'echo hello-out; echo hello-err >&2; exec /bin/sleep 1000'" },
        crasher: { command: '/bin/false', startsecs: 1, startretries: 0 },
        pool: { command: '/bin/sleep 1000', numprocs: 2 },
      },
    });
  });
  after(async () => sv?.stop());

  test('state, pid and version', async () => {
    const c = sv.client();
    assert.equal((await c.getState()).statename, 'RUNNING');
    assert.equal(await c.getPID(), sv.pid);
    assert.match(await c.getSupervisorVersion(), /^4\./);
  });

  test('process info for all and one', async () => {
    const c = sv.client();
    const all = await c.getAllProcessInfo();
    assert.deepEqual(all.map((p) => `${p.group}:${p.name}`).sort(), ['crasher:crasher', 'pool:pool_00', 'pool:pool_01', 'sleeper:sleeper', 'talker:talker']);
    const one = await c.getProcessInfo('sleeper');
    assert.equal(one.statename, 'STOPPED');
    assert.equal(one.pid, 0);
  });

  test('start and stop a process, with the faults supervisord gives when repeated', async () => {
    const c = sv.client();
    assert.equal(await c.startProcess('sleeper'), true);
    const info = await c.getProcessInfo('sleeper');
    assert.equal(info.statename, 'RUNNING');
    assert.ok(info.pid > 0);
    await assert.rejects(c.startProcess('sleeper'), (e) => e instanceof SupervisorFault && e.fault === 'ALREADY_STARTED');
    assert.equal(await c.signalProcess('sleeper', 'CONT'), true);
    await assert.rejects(c.signalProcess('sleeper', 'NOSUCHSIG'), (e) => e instanceof SupervisorFault && e.fault === 'BAD_SIGNAL');
    await assert.rejects(c.removeProcessGroup('sleeper'), (e) => e instanceof SupervisorFault && e.fault === 'STILL_RUNNING');
    assert.equal(await c.stopProcess('sleeper'), true);
    await assert.rejects(c.stopProcess('sleeper'), (e) => e instanceof SupervisorFault && e.fault === 'NOT_RUNNING');
  });

  test('groups and all', async () => {
    const c = sv.client();
    const started = await c.startProcessGroup('pool');
    assert.deepEqual(
      started.map((r) => r.status),
      [80, 80],
    );
    const signalled = await c.signalProcessGroup('pool', 'CONT');
    assert.equal(signalled.length, 2);
    const stopped = await c.stopProcessGroup('pool');
    assert.equal(stopped.length, 2);
    await c.startProcess('sleeper');
    const sigAll = await c.signalAllProcesses('CONT');
    assert.ok(sigAll.some((r) => r.name === 'sleeper'));
    const all = await c.stopAllProcesses();
    assert.ok(all.some((r) => r.name === 'sleeper'));
    assert.equal((await c.getProcessInfo('sleeper')).statename, 'STOPPED');
    const startedAll = await c.startAllProcesses();
    assert.ok(startedAll.length >= 4);
    await c.stopAllProcesses();
  });

  test('bad names and a program that cannot start', async () => {
    const c = sv.client();
    await assert.rejects(c.getProcessInfo('nope'), (e) => e instanceof SupervisorFault && e.fault === 'BAD_NAME' && /BAD_NAME/.test(e.message));
    await assert.rejects(c.startProcess('crasher'), (e) => e instanceof SupervisorFault && (e.fault === 'SPAWN_ERROR' || e.fault === 'ABNORMAL_TERMINATION'));
    await assert.rejects(c.call('supervisor.noSuchMethod'), (e) => e instanceof SupervisorFault && e.fault === 'UNKNOWN_METHOD');
    await assert.rejects(c.addProcessGroup('sleeper'), (e) => e instanceof SupervisorFault && e.fault === 'ALREADY_ADDED');
  });

  test('logs: read, tail and clear', async () => {
    const c = sv.client();
    await c.startProcess('talker');
    await new Promise((r) => setTimeout(r, 200));
    assert.match(await c.readProcessStdoutLog('talker', 0, 100), /hello-out/);
    assert.match(await c.readProcessStderrLog('talker', 0, 100), /hello-err/);
    const tail = await c.tailProcessLog('talker', 'stdout', 0, 1000);
    assert.match(tail.bytes, /hello-out/);
    assert.ok(tail.offset >= 'hello-out\n'.length);
    assert.equal(tail.overflow, false);
    assert.equal(await c.clearProcessLogs('talker'), true);
    assert.equal(await c.readProcessStdoutLog('talker', 0, 100), '');
    await c.stopProcess('talker');
  });

  test('multicall returns values and faults side by side', async () => {
    const res = await sv.client().multicall([
      { methodName: 'supervisor.getPID', params: [] },
      { methodName: 'supervisor.getProcessInfo', params: ['nope'] },
    ]);
    assert.equal(res[0], sv.pid);
    assert.equal((res[1] as { faultCode: number }).faultCode, 10);
  });

  test('update() adds, changes and removes groups like supervisorctl update', async () => {
    const c = sv.client();
    await sv.writeProgram('fresh', { command: '/bin/sleep 1000' });
    let res = await update(c);
    assert.deepEqual(res, { added: ['fresh'], changed: [], removed: [], problems: [] });
    await c.startProcess('fresh');
    await sv.writeProgram('fresh', { command: '/bin/sleep 999' });
    res = await update(c);
    assert.deepEqual(res.changed, ['fresh']);
    assert.equal((await c.getProcessInfo('fresh')).statename, 'STOPPED');
    await c.startProcess('fresh');
    await rm(join(sv.registryDir, 'fresh.conf'));
    res = await update(c);
    assert.deepEqual(res.removed, ['fresh']);
    await assert.rejects(c.getProcessInfo('fresh'), (e) => e instanceof SupervisorFault && e.fault === 'BAD_NAME');
    res = await update(c);
    assert.deepEqual(res, { added: [], changed: [], removed: [], problems: [] });
  });

  test('update() limited to named groups leaves the others alone', async () => {
    const c = sv.client();
    await sv.writeProgram('one', { command: '/bin/sleep 1000' });
    await sv.writeProgram('two', { command: '/bin/sleep 1000' });
    const res = await update(c, ['one']);
    assert.deepEqual(res.added, ['one']);
    await assert.rejects(c.getProcessInfo('two'), (e) => e instanceof SupervisorFault && e.fault === 'BAD_NAME');
    await update(c);
    assert.equal((await c.getProcessInfo('two')).statename, 'STOPPED');
  });

  test('a supervisord that stops answering times out instead of hanging', async () => {
    process.kill(sv.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      await assert.rejects(
        sv.client({ timeoutMs: 300 }).getState(),
        (e) => e instanceof SupervisorUnreachable && /no answer to supervisor.getState within 300 ms/.test(e.message),
      );
      assert.ok(Date.now() - started < 2_000);
    } finally {
      process.kill(sv.pid, 'SIGCONT');
    }
    assert.equal((await sv.client().getState()).statename, 'RUNNING');
  });
});

describe('supervisord client: auth, dead sockets, bad answers', () => {
  test('inet server with basic auth: right password works, wrong one is one clear error', async () => {
    const port = await freePort();
    const sv = await startSupervisord({ inet: { port, username: 'ops', password: 's3cret-pw' } });
    try {
      const url = `http://127.0.0.1:${port}`;
      const ok = sv.client({ url, username: 'ops', password: 's3cret-pw' });
      assert.equal((await ok.getState()).statename, 'RUNNING');
      const bad = sv.client({ url, username: 'ops', password: 'wrong' });
      await assert.rejects(bad.getState(), (e) => {
        assert.ok(e instanceof SupervisorUnreachable);
        assert.match(e.message, /authentication failed/);
        assert.doesNotMatch(e.message, /wrong|s3cret/);
        return true;
      });
      await assert.rejects(sv.client({ url }).getState(), /authentication failed/);
    } finally {
      await sv.stop();
    }
  });

  test('a dead socket names the socket', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const sv = await startSupervisord();
      const client = sv.client();
      await sv.stop();
      await assert.rejects(
        client.getState(),
        (e) => e instanceof SupervisorUnreachable && e.message.includes(sv.socketPath) && /no socket file|refused/.test(e.message),
      );
      const stale = join(dir, 'stale.sock');
      await writeFile(stale, '');
      await assert.rejects(sv.client({ url: `unix://${stale}` }).getState(), (e) => e instanceof SupervisorUnreachable && e.message.includes(stale));
    } finally {
      await cleanup();
    }
  });

  // NOTE: a fake server: a real supervisord cannot be made to answer with malformed XML.
  test('a malformed XML-RPC answer is a protocol error, not a crash', async () => {
    const { dir, cleanup } = await tempDir();
    const sock = join(dir, 'fake.sock');
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end('<?xml version="1.0"?><methodResponse><params><param><value><int>oops');
    });
    await new Promise<void>((r) => srv.listen(sock, r));
    try {
      const { SupervisorClient } = await import('../../src/supervisor/index.js');
      const c = new SupervisorClient({ url: `unix://${sock}`, timeoutMs: 2_000 });
      await assert.rejects(c.getState(), (e) => e instanceof SupervisorProtocolError && /bad answer to supervisor.getState/.test(e.message));
    } finally {
      srv.close();
      await cleanup();
    }
  });
});
