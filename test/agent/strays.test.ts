import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { StrayInstances } from '../../src/agent/strays.js';

// The warning for an instance no set follows: once per instance per interval, every event counted.
test('stray instance events warn once per instance per interval, and are all counted', () => {
  const lines: { instance: string; level: number }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const strays = new StrayInstances(log, 60_000);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  strays.heard('VI_X', 'MASTER', 'fifo', t0);
  strays.heard('VI_X', 'BACKUP', 'fifo', t0 + 59_999);
  strays.heard('VI_Y', 'FAULT', 'notify', t0 + 1);
  assert.deepEqual(
    lines.map((l) => [l.instance, l.level]),
    [
      ['VI_X', 40],
      ['VI_Y', 40],
    ],
  );
  strays.heard('VI_X', 'MASTER', 'fifo', t0 + 60_000);
  assert.equal(lines.filter((l) => l.instance === 'VI_X').length, 2, 'warned again once the interval is over');
  const x = strays.list().find((s) => s.instance === 'VI_X');
  assert.deepEqual(x, {
    instance: 'VI_X',
    events: 3,
    lastState: 'MASTER',
    source: 'fifo',
    firstAt: '2026-01-01T00:00:00.000Z',
    lastAt: '2026-01-01T00:01:00.000Z',
  });
  // Past 32 names, further ones are counted, and warned about once per interval all together.
  lines.length = 0;
  for (let i = 0; i < 100; i++) strays.heard(`VI_MANY${i}`, 'BACKUP', 'fifo', t0 + 60_001);
  assert.equal(strays.list().length, 32);
  assert.equal(strays.unlisted, 70);
  assert.equal(lines.length, 31, '30 new names, then one line for the rest');
});
