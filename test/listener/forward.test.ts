import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { ProcessEvent } from '../../src/agent/index.js';
import { listen } from '../../src/listener/index.js';
import { silentLogger } from '../../src/util/log.js';
import { waitFor } from '../helpers/tmp.js';

function frame(eventname: string, payload: string, serial: number): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([
    Buffer.from(`ver:3.0 server:supervisor serial:${serial} pool:supha poolserial:${serial} eventname:${eventname} len:${body.length}\n`),
    body,
  ]);
}

test('listen: an event that comes during a forward is sent right after it, not at the next event or TICK; a TICK is a heartbeat; the first forward says start', async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  stdout.resume();
  const got: { events: ProcessEvent[]; start: boolean }[] = [];
  let release: (() => void) | undefined;
  const done = listen({
    stdin,
    stdout,
    log: silentLogger,
    forward: async (events, start) => {
      got.push({ events, start });
      if (events.some((e) => e.name === 'a')) await new Promise<void>((r) => (release = r));
    },
  });
  await waitFor('the start message', () => got.length === 1);
  assert.deepEqual(got[0], { events: [], start: true });
  stdin.write(frame('PROCESS_STATE_RUNNING', 'processname:a groupname:a from_state:STARTING', 1));
  await waitFor('a forwarded (and held)', () => release !== undefined);
  stdin.write(frame('PROCESS_STATE_RUNNING', 'processname:b groupname:b from_state:STARTING', 2));
  await new Promise((r) => setImmediate(r));
  release?.();
  await waitFor('b forwarded with no further event', () => got.length === 3);
  assert.deepEqual(
    got[2]?.events.map((e) => e.name),
    ['b'],
  );
  stdin.write(frame('TICK_5', 'when:1', 3));
  await waitFor('the TICK forwarded as an empty batch', () => got.length === 4);
  assert.deepEqual(got[3], { events: [], start: false });
  stdin.end();
  await done;
});
