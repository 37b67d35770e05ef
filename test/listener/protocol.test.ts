import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { ProcessEvent } from '../../src/agent/index.js';
import { EventParser, listen, parseHeader } from '../../src/listener/index.js';
import { silentLogger } from '../../src/util/log.js';

function frame(eventname: string, payload: string, serial = 1): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([
    Buffer.from(`ver:3.0 server:supervisor serial:${serial} pool:supha poolserial:${serial} eventname:${eventname} len:${body.length}\n`),
    body,
  ]);
}

test('EventParser counts len in bytes: a multibyte payload split anywhere', () => {
  const payload = 'processname:日志 groupname:日志 from_state:STARTING pid:42';
  const all = Buffer.concat([frame('PROCESS_STATE_RUNNING', payload, 1), frame('TICK_5', 'when:1700000000', 2)]);
  for (let cut = 1; cut < all.length; cut += 7) {
    const p = new EventParser();
    const got = [...p.push(all.subarray(0, cut)), ...p.push(all.subarray(cut))];
    assert.equal(got.length, 2, `cut at ${cut}`);
    const first = got[0];
    assert.ok(first && 'event' in first);
    assert.equal(first.event.payload, payload);
    assert.equal(first.event.headers.eventname, 'PROCESS_STATE_RUNNING');
  }
});

test('EventParser: a header split across reads, then byte-by-byte', () => {
  const p = new EventParser();
  const all = frame('PROCESS_STATE_FATAL', 'processname:a groupname:a from_state:BACKOFF');
  const got = [];
  for (const b of all) got.push(...p.push(Buffer.from([b])));
  assert.equal(got.length, 1);
});

test('EventParser reports malformed headers and carries on', () => {
  assert.match(String((parseHeader('ver:3.0 len:abc') as { error: string }).error), /valid len/);
  assert.match(String((parseHeader('no-colon here') as { error: string }).error), /malformed header token/);
  const p = new EventParser(64);
  const got = p.push(Buffer.concat([Buffer.from('garbage\n'), frame('TICK_5', 'when:1')]));
  assert.equal(got.length, 2);
  assert.ok(got[0] && 'error' in got[0]);
  assert.ok(got[1] && 'event' in got[1]);
  assert.ok('error' in (p.push(Buffer.from('z'.repeat(100)))[0] ?? {}), 'a header with no newline past the limit');
});

test('EventParser: a len that lies big is skipped as it streams, never buffered, and the next event still parses', () => {
  const p = new EventParser(8192, 1 << 20);
  const huge = 64 << 20; // 64 MiB announced, sent in 64 KiB reads
  const got = [...p.push(Buffer.from(`ver:3.0 server:supervisor serial:1 pool:supha poolserial:1 eventname:PROCESS_LOG_STDOUT len:${huge}\n`))];
  const chunk = Buffer.alloc(64 << 10, 0x61);
  let most = 0;
  for (let sent = 0; sent < huge; sent += chunk.length) {
    got.push(...p.push(chunk));
    most = Math.max(most, p.buffered);
  }
  got.push(...p.push(frame('TICK_5', 'when:1', 2)));
  assert.ok(most <= chunk.length, `at most one read is held, held ${most} bytes`);
  assert.equal(got.length, 2);
  assert.ok(got[0] && 'error' in got[0] && /64 MiB|67108864/.test(got[0].error), JSON.stringify(got[0]));
  assert.ok(got[1] && 'event' in got[1] && got[1].event.headers.eventname === 'TICK_5');
});

test('listen: READY, one RESULT 2\\nOK per event, nothing else; keeps the newest state while the agent is away', async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => {
    out += String(d);
  });
  let up = false;
  const got: ProcessEvent[][] = [];
  const done = listen({
    stdin,
    stdout,
    log: silentLogger,
    forward: async (events) => {
      if (!up) throw new Error('agent away');
      got.push(events);
    },
  });
  stdin.write(frame('PROCESS_STATE_STARTING', 'processname:a groupname:a from_state:STOPPED', 1));
  stdin.write(frame('PROCESS_STATE_RUNNING', 'processname:a groupname:a from_state:STARTING', 2));
  await new Promise((r) => setImmediate(r));
  up = true;
  stdin.write(frame('TICK_5', 'when:1', 3));
  await new Promise((r) => setTimeout(r, 20));
  stdin.end();
  await done;
  assert.equal(out, `READY\n${'RESULT 2\nOKREADY\n'.repeat(3)}`);
  assert.equal(got.length, 1);
  assert.deepEqual(
    got[0]?.map((e) => [e.name, e.state, e.from]),
    [['a', 'RUNNING', 'STARTING']],
  );
});
