import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter, parseNotifyArgs, parseNotifyLine } from '../../src/keepalived/index.js';

test('parseNotifyLine reads what notify_fifo writes', () => {
  assert.deepEqual(parseNotifyLine('INSTANCE "VI_1" MASTER 150'), { ok: true, event: { type: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 150 } });
  assert.deepEqual(parseNotifyLine('GROUP "VG 1" BACKUP 0'), { ok: true, event: { type: 'GROUP', name: 'VG 1', state: 'BACKUP', priority: 0 } });
  assert.deepEqual(parseNotifyLine('INSTANCE "VI_1" MASTER_PRIORITY 90').ok, true);
  assert.deepEqual(parseNotifyLine('INSTANCE "VI_1" DELETED'), { ok: true, event: { type: 'INSTANCE', name: 'VI_1', state: 'DELETED' } });
  assert.deepEqual(parseNotifyLine('INSTANCE VI_1 fault 100'), { ok: true, event: { type: 'INSTANCE', name: 'VI_1', state: 'FAULT', priority: 100 } });
});

test('parseNotifyLine refuses malformed lines with a reason', () => {
  for (const [line, why] of [
    ['', /not TYPE/],
    ['INSTANCE', /not TYPE/],
    ['VS [1.2.3.4]:tcp:80 UP', /type must be INSTANCE or GROUP/],
    ['INSTANCE "VI_1" SLEEPY 100', /unknown state "SLEEPY"/],
    ['INSTANCE "VI_1" MASTER high', /priority must be a number/],
    ['INSTANCE "VI_1" MASTER 100 extra', /not TYPE/],
    ['INSTANCE "" MASTER', /empty instance name/],
  ] as const) {
    const r = parseNotifyLine(line);
    assert.equal(r.ok, false, line);
    if (!r.ok) assert.match(r.error, why, line);
  }
  assert.equal(parseNotifyArgs('INSTANCE', 'VI_1', 'BACKUP').ok, true);
});

test('LineSplitter joins lines split across reads, multibyte characters included', () => {
  const s = new LineSplitter();
  const bytes = Buffer.from('INSTANCE "实例_1" MASTER 100\nGROUP "G" BACKUP 50\n');
  const got: string[] = [];
  // One byte at a time: splits the line and the three bytes of each Chinese character.
  for (const b of bytes) got.push(...s.push(Buffer.from([b])).lines);
  assert.deepEqual(got, ['INSTANCE "实例_1" MASTER 100', 'GROUP "G" BACKUP 50']);
  const first = parseNotifyLine(got[0] ?? '');
  assert.ok(first.ok && first.event.name === '实例_1');
});

test('LineSplitter drops an overlong line whole and resumes after it', () => {
  const s = new LineSplitter(16);
  let r = s.push('x'.repeat(40));
  assert.deepEqual(r, { lines: [], overlong: 1 });
  r = s.push(`${'y'.repeat(10)}\nINSTANCE a b\r\n`);
  assert.deepEqual(r, { lines: ['INSTANCE a b'], overlong: 0 });
});
