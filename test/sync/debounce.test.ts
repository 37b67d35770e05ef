import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, SerialRunner } from '../../src/sync/index.js';
import { waitFor } from '../helpers/tmp.js';

test('a burst of requests collapses into one run', async () => {
  let runs = 0;
  const r = new SerialRunner(
    async () => {
      runs += 1;
    },
    () => 20,
  );
  for (let i = 0; i < 100; i++) r.request();
  await waitFor('the run', () => runs === 1 && !r.scheduled && !r.busy);
  await new Promise((res) => setTimeout(res, 60));
  assert.equal(runs, 1);
});

test('never two runs at once; requests during a run make exactly one more run after it', async () => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let release: () => void = () => {};
  const r = new SerialRunner(
    async () => {
      running += 1;
      runs += 1;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await new Promise<void>((res) => (release = res));
      running -= 1;
    },
    () => 0,
  );
  r.request();
  await waitFor('the first run to start', () => r.busy);
  for (let i = 0; i < 50; i++) r.request();
  assert.equal(runs, 1);
  release();
  await waitFor('the rerun', () => runs === 2 && !r.busy && !r.scheduled);
  assert.equal(maxRunning, 1);
  assert.equal(runs, 2);
});

test('a failing task is reported and the runner keeps working', async () => {
  const errors: unknown[] = [];
  let runs = 0;
  const r = new SerialRunner(
    async () => {
      runs += 1;
      if (runs === 1) throw new Error('boom');
    },
    () => 0,
    (err) => errors.push(err),
  );
  r.request();
  await waitFor('the first run', () => errors.length === 1);
  r.request();
  await waitFor('the second run', () => runs === 2);
  await r.stop();
  r.request();
  assert.equal(runs, 2, 'a stopped runner runs nothing');
});

test('backoff doubles from min up to max', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10, 100].map((n) => backoffMs(n, 500, 4_000)),
    [0, 500, 1_000, 2_000, 4_000, 4_000, 4_000],
  );
});

test('requestAndWait resolves after a run that began after the call (a request during a run waits for the next one)', async () => {
  const order: string[] = [];
  let release: (() => void) | undefined;
  const r = new SerialRunner(
    () =>
      new Promise<void>((res) => {
        order.push('run');
        release = () => {
          order.push('end');
          res();
        };
      }),
    () => 0,
  );
  const first = r.requestAndWait().then(() => order.push('first'));
  await waitFor('the first run', () => order.length === 1);
  const second = r.requestAndWait().then(() => order.push('second'));
  release?.();
  await first;
  await waitFor('the second run', () => order.filter((x) => x === 'run').length === 2);
  assert.deepEqual(order, ['run', 'end', 'first', 'run']);
  release?.();
  await second;
  assert.deepEqual(order, ['run', 'end', 'first', 'run', 'end', 'second']);
  await r.stop();
  await r.requestAndWait();
});
