import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LineSplitter, NOTIFY_STATES, parseNotifyLine } from '../../src/keepalived/index.js';
import { EventParser, parseHeader, parseTokens } from '../../src/listener/index.js';

// Property tests (fast-check) for the parsers of what keepalived and supervisord send.

// Splits a buffer at the given cut points (any chunking a pipe could produce).
function chunks(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(buf.subarray(from, c));
    from = c;
  }
  out.push(buf.subarray(from));
  return out;
}

const instanceName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => !/["\n\r]/.test(s) && s.trim() === s && s !== '');

test('parseNotifyLine: never throws; what it accepts is a known type and state, priority 0-255', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (line) => {
      const r = parseNotifyLine(line);
      if (!r.ok) {
        assert.equal(typeof r.error, 'string');
        assert.ok(!r.error.includes('\n') || line.includes('\n'), 'the error is one line');
        return;
      }
      assert.ok(r.event.type === 'INSTANCE' || r.event.type === 'GROUP');
      assert.ok(NOTIFY_STATES.includes(r.event.state));
      if (r.event.priority !== undefined) assert.ok(r.event.priority >= 0 && r.event.priority <= 255, `priority ${r.event.priority}`);
    }),
    { numRuns: 2000 },
  );
});

test('parseNotifyLine: a priority is accepted exactly when it is 0-255', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 999 }), (prio) => {
      const r = parseNotifyLine(`INSTANCE "VI_1" MASTER ${prio}`);
      assert.equal(r.ok, prio <= 255, `priority ${prio}`);
    }),
    { numRuns: 500 },
  );
});

test('parseNotifyLine: every line keepalived can write reads back as the event', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('INSTANCE', 'GROUP'),
      instanceName,
      fc.constantFrom(...NOTIFY_STATES),
      fc.option(fc.integer({ min: 0, max: 255 })),
      (type, name, state, prio) => {
        const line = `${type} "${name}" ${state}${prio === null ? '' : ` ${prio}`}`;
        const r = parseNotifyLine(line);
        assert.deepEqual(r, { ok: true, event: { type, name, state, ...(prio === null ? {} : { priority: prio }) } });
      },
    ),
    { numRuns: 1000 },
  );
});

test('LineSplitter: any chunking of the same bytes gives the same lines and the same overlong count', () => {
  const line = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 20 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 10 }), (lines, crlf, cuts) => {
      const text = lines.map((l) => `${l}${crlf ? '\r\n' : '\n'}`).join('');
      const whole = new LineSplitter(16).push(Buffer.from(text));
      const s = new LineSplitter(16);
      const parts = chunks(Buffer.from(text), cuts).map((c) => s.push(c));
      assert.deepEqual(
        parts.flatMap((p) => p.lines),
        whole.lines,
      );
      assert.equal(
        parts.reduce((n, p) => n + p.overlong, 0),
        whole.overlong,
      );
      assert.deepEqual(
        whole.lines,
        lines.filter((l) => l.length <= 16),
      );
    }),
    { numRuns: 1000 },
  );
});

const token = fc.stringMatching(/^[a-z_]{1,10}:[A-Za-z0-9_.-]{0,12}$/);

function frame(headers: string[], payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${[...headers, `len:${payload.length}`].join(' ')}\n`), payload]);
}

test('EventParser: any frames, cut anywhere, come back whole and in order (len counts bytes)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.array(token, { maxLength: 5 }), fc.string({ unit: 'grapheme', maxLength: 60 })), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (frames, cuts) => {
        const all = Buffer.concat(frames.map(([h, p]) => frame(h, Buffer.from(p))));
        const parser = new EventParser();
        const got = chunks(all, cuts).flatMap((c) => parser.push(c));
        assert.equal(got.length, frames.length);
        for (const [i, g] of got.entries()) {
          assert.ok('event' in g, JSON.stringify(g));
          assert.equal(g.event.payload, frames[i]?.[1]);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('EventParser: garbage never throws, and a valid frame after a newline still comes through', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
      const parser = new EventParser();
      // A junk header is refused whole (no len: ... or len not digits); a junk header that does
      // parse waits for its payload. Both are legal outcomes; neither may throw.
      const out = parser.push(Buffer.from(junk));
      for (const o of out) assert.ok('error' in o || 'event' in o);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (line) => {
      const r = parseHeader(line.replace(/\n/g, ' '));
      if ('error' in r) assert.equal(typeof r.error, 'string');
      else assert.ok(Number.isInteger(r.len) && r.len >= 0);
      parseTokens(line);
    }),
    { numRuns: 2000 },
  );
});
