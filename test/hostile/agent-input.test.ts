import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { SUPHA_BIN } from '../helpers/cli.js';
import { waitFor } from '../helpers/tmp.js';
import { type HostileHost, startHostileHost } from './host.js';

// The agent gets hostile FIFO lines and event-listener frames; it must stay up, answer, and keep
// converging: the set runs, and stops when keepalived goes.
describe('hostile input to a running agent: FIFO and event listener', () => {
  let h: HostileHost;
  before(async () => {
    h = await startHostileHost();
  });
  after(async () => {
    await h?.stop();
  });

  test('FIFO: junk, binary, NUL, overlong, unknown instances and a burst change nothing and kill nothing', async () => {
    const before = (await h.agent.status()).reconcile.eventsIn as number;
    const fd = await open(h.fifo, 'r+');
    const lines = [
      'junk',
      '\u0000\u0001\u0002',
      `INSTANCE "VI_H" MASTER ${'9'.repeat(20)}`,
      'INSTANCE "VI_H" SLEEPY',
      'INSTANCE "../../etc" MASTER 100',
      'INSTANCE "VI_H"; rm -rf / MASTER',
      'GROUP "}" BACKUP',
      'x'.repeat(200_000),
      'INSTANCE "VI_H" BACKUP 256',
      'INSTANCE "ΔΔΔ" BACKUP 100',
      ...Array.from({ length: 5_000 }, (_, i) => `INSTANCE "VI_OTHER${i}" BACKUP 100`),
    ];
    await fd.write(Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), Buffer.from([0xff, 0xfe, 0x0a])]));
    await fd.close();
    // The burst's valid lines (5,000 for instances no set follows, one ΔΔΔ) are all counted.
    await waitFor('the agent to read the burst', async () => (await h.agent.status()).reconcile.eventsIn >= before + 5_001, 20_000);
    assert.equal(h.agent.child.exitCode, null);
    assert.ok(await h.running(), 'the set still runs on its MASTER');
  });

  test('event listener: bad headers, len lies and a huge payload; stdout holds only the protocol', async () => {
    const child = spawn(process.execPath, [SUPHA_BIN, '--config', h.cfgPath, 'listen'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    const frame = (h: string, body: string) => `${h} len:${Buffer.byteLength(body)}\n${body}`;
    const good = frame(
      'ver:3.0 server:supervisor serial:1 pool:supha poolserial:1 eventname:PROCESS_STATE_RUNNING',
      'processname:app1 groupname:app1 from_state:STARTING pid:1',
    );
    child.stdin.write('no colon here\n');
    child.stdin.write('ver:3.0 len:abc\n');
    child.stdin.write(`ver:3.0 ${'k:v '.repeat(5_000)}\n`);
    child.stdin.write(frame('ver:3.0 eventname:PROCESS_STATE_FATAL', `processname:${'p'.repeat(1_000_000)} groupname:x from_state:BACKOFF`));
    child.stdin.write(good);
    await waitFor('an answer to the good frame after the junk', () => (out.match(/RESULT 2\nOK/g) ?? []).length >= 4, 10_000);
    // A len that lies (more bytes announced than ever come) holds only this listener, which
    // supervisord would restart; the agent does not notice.
    child.stdin.write('ver:3.0 eventname:TICK_5 len:999999999\nwhen:1');
    assert.equal(child.exitCode, null);
    child.stdin.end();
    await new Promise((r) => child.once('close', r));
    assert.match(out, /^READY\n(RESULT 2\nOKREADY\n)+$/, JSON.stringify(out.slice(0, 300)));
    assert.equal(h.agent.child.exitCode, null);
  });

  test('after all of it the agent still converges: keepalived gone, the set stops', async () => {
    await h.ka.stop();
    await waitFor('app1 to stop once keepalived is gone', async () => !(await h.running()), 15_000);
    assert.equal(h.agent.child.exitCode, null);
  });
});
