import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { SupervisorClient, SupervisorFault, SupervisorProtocolError, SupervisorUnreachable } from '../../src/supervisor/index.js';
import { encodeFault, encodeResponse } from '../../src/supervisor/xml-encode.js';
import { tempDir } from '../helpers/tmp.js';

// A fake supervisord on a unix socket: real supervisord cannot send malformed XML, cut a
// response short or stall mid-body. `answer` decides what each connection gets.
let answer: (sock: Socket) => void = (s) => s.end();
let srv: Server;
let url: string;
let cleanup: () => Promise<void>;
before(async () => {
  const tmp = await tempDir('supha-fake-');
  cleanup = tmp.cleanup;
  const path = join(tmp.dir, 'fake.sock');
  srv = createServer((sock) => {
    sock.on('error', () => {});
    sock.once('data', () => answer(sock));
  });
  await new Promise<void>((r) => srv.listen(path, r));
  url = `unix://${path}`;
});
after(async () => {
  await new Promise((r) => srv.close(r));
  await cleanup();
});

const http = (body: string | Buffer, head = '') =>
  Buffer.concat([Buffer.from(`HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`), Buffer.from(body)]);
const client = () => new SupervisorClient({ url, timeoutMs: 1_000 });
const typed = (e: unknown) => e instanceof SupervisorProtocolError || e instanceof SupervisorUnreachable || e instanceof SupervisorFault;

test('a response written one byte at a time, or chunked, decodes whole', async () => {
  const value = { name: 'é'.repeat(3000), list: Array.from({ length: 50 }, (_, i) => i) };
  const raw = http(encodeResponse(value));
  answer = (s) => {
    let i = 0;
    const step = () => (i < raw.length ? s.write(raw.subarray(i, ++i), step) : s.end());
    step();
  };
  assert.deepEqual(await client().call('x'), value);
  const body = encodeResponse('chunked');
  answer = (s) =>
    s.end(
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${(10).toString(16)}\r\n${body.slice(0, 10)}\r\n${(body.length - 10).toString(16)}\r\n${body.slice(10)}\r\n0\r\n\r\n`,
    );
  assert.equal(await client().call('x'), 'chunked');
});

test('hostile answers are typed errors, never a crash or a hang', async () => {
  const cases: [string, (s: Socket) => void, (e: unknown) => boolean][] = [
    ['garbage XML', (s) => s.end(http('<methodResponse><params><param>')), (e) => e instanceof SupervisorProtocolError],
    ['no headers end', (s) => s.end('HTTP/1.0 200 OK\r\nContent-Length: 5'), (e) => e instanceof SupervisorProtocolError],
    ['no status line', (s) => s.end('hello\r\n\r\n'), (e) => e instanceof SupervisorProtocolError],
    ['body cut short', (s) => s.end(http(encodeResponse('x')).subarray(0, -5)), (e) => e instanceof SupervisorProtocolError],
    ['HTTP 500', (s) => s.end('HTTP/1.0 500 Oops\r\n\r\n'), (e) => e instanceof SupervisorUnreachable && /HTTP 500/.test(e.message)],
    ['a fault', (s) => s.end(http(encodeFault(10, 'BAD_NAME: x'))), (e) => e instanceof SupervisorFault && e.fault === 'BAD_NAME'],
    ['a stall mid-body', (s) => s.write(http(encodeResponse('x')).subarray(0, 60)), (e) => e instanceof SupervisorUnreachable && /within/.test(e.message)],
    ['closed without an answer', (s) => s.destroy(), (e) => e instanceof SupervisorProtocolError],
    [
      'nesting 10000 deep',
      (s) =>
        s.end(
          http(encodeResponse(0).replace('<value><int>0</int></value>', `${'<value><array><data>'.repeat(10_000)}${'</data></array></value>'.repeat(10_000)}`)),
        ),
      (e) => e instanceof SupervisorProtocolError,
    ],
  ];
  for (const [what, fn, ok] of cases) {
    answer = fn;
    await assert.rejects(client().call('x'), ok, what);
  }
});

test('property: any bytes a server sends end in a value or a typed error', async () => {
  const good = http(encodeResponse({ statecode: 1, statename: 'RUNNING' }));
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        fc
          .tuple(fc.nat(), fc.uint8Array({ maxLength: 8 }))
          .map(([at, junk]) => Buffer.concat([good.subarray(0, at % good.length), junk, good.subarray(at % good.length)])),
      ),
      async (bytes) => {
        answer = (s) => s.end(bytes);
        try {
          await client().call('supervisor.getState');
        } catch (e) {
          assert.ok(typed(e), String(e));
        }
      },
    ),
    { numRuns: 200 },
  );
});
