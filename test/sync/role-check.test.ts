import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { peerRole } from '../../src/sync/index.js';
import { freePort } from '../helpers/tmp.js';

test('the peer role answer, a bad token, and a peer that is not there', async () => {
  const port = await freePort();
  const server = createServer((req, res) => {
    if (req.headers.authorization !== 'Bearer good') return void res.writeHead(401).end();
    const set = new URL(req.url ?? '/', 'http://x').searchParams.get('set');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ node: 'app122', set, role: 'MASTER' }));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  try {
    assert.deepEqual(await peerRole(`http://127.0.0.1:${port}`, 'apps', 'good', 2_000), { kind: 'role', role: 'MASTER', node: 'app122' });
    const denied = await peerRole(`http://127.0.0.1:${port}`, 'apps', 'bad', 2_000);
    assert.equal(denied.kind, 'unknown');
    assert.match(denied.kind === 'unknown' ? denied.error : '', /HTTP 401 \(check ha.agent.token-file/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  const gone = await peerRole(`http://127.0.0.1:${port}`, 'apps', 'good', 2_000);
  assert.equal(gone.kind, 'unreachable');
  assert.match(gone.kind === 'unreachable' ? gone.error : '', /ECONNREFUSED/);
});

test('a peer agent that never answers counts as unreachable after the timeout', async () => {
  const port = await freePort();
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  try {
    const r = await peerRole(`http://127.0.0.1:${port}`, 'apps', 'good', 200);
    assert.deepEqual(r, { kind: 'unreachable', error: `http://127.0.0.1:${port}: no answer within 200 ms` });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('a peer that trickles its answer, or sends a huge one, is cut off: overall deadline and body cap', async () => {
  const port = await freePort();
  const timers: NodeJS.Timeout[] = [];
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.includes('set=huge')) return void res.end(`{"role":"MASTER","pad":"${'x'.repeat(1_000_000)}"}`);
    res.write('{');
    timers.push(setInterval(() => res.write(' '), 50));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  try {
    const t0 = Date.now();
    const guard = new Promise((r) => setTimeout(() => r('still waiting after 3 s'), 3_000).unref());
    const r = await Promise.race([peerRole(`http://127.0.0.1:${port}`, 'apps', 'good', 300), guard]);
    assert.deepEqual(r, { kind: 'unreachable', error: `http://127.0.0.1:${port}: no answer within 300 ms` });
    assert.ok(Date.now() - t0 < 2_000);
    const huge = await peerRole(`http://127.0.0.1:${port}`, 'huge', 'good', 2_000);
    assert.deepEqual(huge, { kind: 'unknown', error: `http://127.0.0.1:${port}: answer over 16384 bytes` });
  } finally {
    for (const t of timers) clearInterval(t);
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
