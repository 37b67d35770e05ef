import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { loneKeepalived } from '../helpers/keepalived.js';
import { prng, type RawAnswer, rawRequest } from '../helpers/raw-http.js';
import { type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { freePort, tempDir, writeJson } from '../helpers/tmp.js';

const TOKEN = 'fuzz-token-0123456789';
const HEADER_TIMEOUT_MS = 1_500;
const MAX_CONNECTIONS = 40;

// Runs fn over items, `width` at a time.
async function pool<T, R>(items: T[], width: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

const req = (method: string, target: string, headers: Record<string, string> = {}, body = '') =>
  `${method} ${target} HTTP/1.1\r\nHost: agent\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}${body === '' ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`}\r\n${body}`;

// Hostile requests against a real `supha agent` (real supervisord behind it): each is answered
// (a 4xx, or a 2xx for the well-formed ones) or cut off by the server's timeouts, and the agent
// lives through all of them.
describe('agent HTTP API under hostile input', { timeout: 240_000 }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let sv: Supervisord;
  let fakeKa: { pid: number; kill(): Promise<void>; stop(): Promise<void> } | undefined;
  let agent: AgentProc;
  let port: number;
  let sent = 0;
  const send = async (data: string | Buffer, opts: Parameters<typeof rawRequest>[2] = {}): Promise<RawAnswer> => {
    sent++;
    return rawRequest(port, data, { deadlineMs: HEADER_TIMEOUT_MS + 8_000, ...opts });
  };
  const alive = async (what: string) => {
    assert.equal(agent.child.exitCode, null, `agent exited after ${what}: ${agent.logs().slice(-3000)}`);
    const h = await rawRequest(port, req('GET', '/healthz'), { deadlineMs: 5_000 });
    assert.equal(h.status, 200, `healthz after ${what}: ${h.head}`);
  };

  before(async () => {
    tmp = await tempDir('supha-fuzz-');
    const web = join(tmp.dir, 'web');
    await mkdir(web);
    sv = await startSupervisord({ dir: tmp.dir });
    fakeKa = await loneKeepalived(tmp.dir, join(tmp.dir, 'ka.fifo'));
    await writeFile(join(tmp.dir, 'ka.pid'), `${fakeKa.pid}\n`);
    await writeFile(join(tmp.dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    port = await freePort();
    const cfg = await writeJson(join(tmp.dir, 'config.json'), {
      'project-name': 'fuzz',
      'state-dir': 'state',
      supervisor: { 'server-url': sv.url, 'registry-dirs': ['conf.d'] },
      ha: {
        'node-name': 'n1',
        keepalived: { 'notify-fifo': 'ka.fifo', 'pid-file': 'ka.pid' },
        'service-sets': { web: { 'vrrp-instance': 'VI_1', registry: 'web' } },
        agent: {
          listen: `127.0.0.1:${port}`,
          'token-file': 'token',
          'reconcile-interval-ms': 1_000,
          http: { 'header-timeout-ms': HEADER_TIMEOUT_MS, 'request-timeout-ms': HEADER_TIMEOUT_MS * 2, 'max-connections': MAX_CONNECTIONS },
        },
      },
    });
    agent = await startAgent(cfg, join(tmp.dir, 'state', 'agent.sock'));
  });
  after(async () => {
    await agent?.stop();
    await fakeKa?.stop();
    await sv?.stop();
    await tmp?.cleanup();
    assert.ok(sent >= 1_000, `only ${sent} hostile requests sent`);
  });

  test('bad request targets get 400, not a dead agent', async () => {
    const rnd = prng(12);
    const targets = [
      '//x:99999/',
      '//x:99999/status',
      '//[::1/',
      '//a:b@:0/',
      'http://[zz]/',
      'http://x:-1/',
      '//%zz/',
      '/%00',
      '/status?%',
      '//:/',
      '///',
      '*',
      'a:b',
      'http:///',
    ];
    const chars = '/:?#[]@%!$&\'()*+,;=~-._x9Z\\"<>^`{|}';
    while (targets.length < 320) {
      let t = rnd() < 0.5 ? '//' : '/';
      const n = 1 + Math.floor(rnd() * 24);
      for (let j = 0; j < n; j++) t += chars[Math.floor(rnd() * chars.length)];
      targets.push(t.replace(/ /g, ''));
    }
    const answers = await pool(targets, 16, (t) => send(req('GET', t)));
    for (const [i, a] of answers.entries()) {
      assert.ok(!a.stalled, `GET ${targets[i]} stalled`);
      assert.ok(a.status !== undefined && a.status < 500, `GET ${targets[i]}: ${a.head || 'no answer'}`);
    }
    const first = answers[0];
    assert.equal(first?.status, 400, `GET //x:99999/ answered ${first?.head}`);
    await alive('bad targets');
  });

  test('garbage request lines, methods and framing are answered or closed', async () => {
    const rnd = prng(34);
    const cases: string[] = [
      'GET\r\n\r\n',
      ' / HTTP/1.1\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
      'POST /hold HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      'POST /hold HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET / HTTP/1.1\r\nBad Header\r\n\r\n',
      'GET / HTTP/1.1\r\nX: \u0001\u0002\r\n\r\n',
      '\u0000\u0001\u0002\u0003\r\n\r\n',
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      'DELETE /status HTTP/1.1\r\nHost: a\r\n\r\n',
      'BREW /coffee HTTP/1.1\r\nHost: a\r\n\r\n',
      'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: a\r\n\r\n',
    ];
    while (cases.length < 220) {
      const n = 1 + Math.floor(rnd() * 200);
      const bytes = Buffer.alloc(n);
      for (let j = 0; j < n; j++) bytes[j] = Math.floor(rnd() * 256);
      cases.push(`${rnd() < 0.5 ? 'GET ' : ''}${bytes.toString('latin1')}\r\n\r\n`);
    }
    const answers = await pool(cases, 16, (c) => send(c));
    for (const [i, a] of answers.entries()) {
      assert.ok(!a.stalled, `case ${i} stalled: ${JSON.stringify(cases[i]?.slice(0, 80))}`);
      assert.ok(a.status === undefined ? a.closed : a.status < 500, `case ${i}: ${a.head}`);
    }
    await alive('garbage');
  });

  test('huge headers and huge bodies are refused', async () => {
    const cases: string[] = [];
    for (let i = 0; i < 30; i++) cases.push(req('GET', '/status', { 'X-Big': 'a'.repeat(20_000 + i * 1_000) }));
    for (let i = 0; i < 20; i++) cases.push(req('GET', '/status', Object.fromEntries(Array.from({ length: 3_000 }, (_, j) => [`x-h${j}`, String(i)]))));
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) {
      const body = `{"reason":"${'r'.repeat(200_000 + i)}"}`;
      bodies.push(req('POST', '/hold', { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body));
    }
    for (const [i, a] of (await pool(cases, 8, (c) => send(c))).entries()) {
      assert.ok(a.status === 431 || a.status === 400 || (a.status === undefined && a.closed), `huge header ${i}: ${a.head}`);
    }
    for (const [i, a] of (await pool(bodies, 8, (c) => send(c))).entries()) assert.equal(a.status, 413, `huge body ${i}: ${a.head}`);
    await alive('huge input');
  });

  test('bad tokens get 401 on every guarded path; nothing is held', async () => {
    const rnd = prng(56);
    const auths = [
      '',
      'Bearer',
      'Bearer ',
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `bearer ${TOKEN}`,
      `Basic ${TOKEN}`,
      `Bearer  ${TOKEN}`,
      'Bearer \u00ff\u00fe',
    ];
    while (auths.length < 40) auths.push(`Bearer ${Math.floor(rnd() * 1e16).toString(36)}`);
    const paths = ['/hold', '/release', '/sync/pause', '/sync/resume'];
    const cases: string[] = [];
    for (const a of auths) {
      for (const p of paths)
        cases.push(
          req('POST', p, a === '' ? { 'Content-Type': 'application/json' } : { Authorization: a, 'Content-Type': 'application/json' }, '{"reason":"fuzz"}'),
        );
      cases.push(req('GET', '/status', a === '' ? {} : { Authorization: a }));
    }
    for (const [i, a] of (await pool(cases, 16, (c) => send(c))).entries()) assert.equal(a.status, 401, `case ${i}: ${a.head}`);
    const st = await agent.status();
    assert.deepEqual(st.holds, {}, 'a refused request held a set');
    await alive('bad tokens');
  });

  test('bad JSON bodies with a good token get 400', async () => {
    const rnd = prng(78);
    const bodies = [
      '',
      '{',
      '}',
      'null',
      '[]',
      '"x"',
      '1',
      '{"reason":1}',
      '{"reason":""}',
      '{"set":5,"reason":"x"}',
      '{"set":"nope","reason":"x"}',
      '{"reason":"x"',
      '\u0000',
      '{"__proto__":{"x":1}}',
    ];
    bodies.push(`${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    while (bodies.length < 200) {
      const good = '{"set":"web","reason":"because"}';
      const cut = Math.floor(rnd() * good.length);
      bodies.push(rnd() < 0.5 ? good.slice(0, cut) : `${good.slice(0, cut)}${String.fromCharCode(Math.floor(rnd() * 128))}${good.slice(cut + 1)}`);
    }
    const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
    const answers = await pool(bodies, 16, (b) => send(req('POST', '/hold', headers, b)));
    const held = answers.filter((a) => a.status === 200).length;
    for (const [i, a] of answers.entries())
      assert.ok(a.status === 400 || a.status === 200 || a.status === 404, `body ${JSON.stringify(bodies[i]?.slice(0, 60))}: ${a.head}`);
    assert.ok(answers.filter((a) => a.status === 400).length > 150, 'most bad bodies get 400');
    // Some mutations are valid JSON that still means "hold web"; release what they held.
    if (held > 0) {
      const r = await send(req('POST', '/release', headers, '{}'));
      assert.equal(r.status, 200, r.head);
    }
    await alive('bad JSON');
  });

  test('slow clients are cut off by the header timeout, others still answered meanwhile', async () => {
    const slow = Array.from({ length: 25 }, (_, i) =>
      send(req('GET', `/status?slow=${i}`, { Authorization: `Bearer ${TOKEN}` }), { trickleMs: 200, deadlineMs: HEADER_TIMEOUT_MS * 2 + 8_000 }),
    );
    const stalled = Array.from({ length: 10 }, () => send('GET /healthz HTTP/1.1\r\nHost: a\r\n', { hold: true, deadlineMs: HEADER_TIMEOUT_MS * 2 + 8_000 }));
    await alive('slow clients starting');
    for (const [i, a] of (await Promise.all([...slow, ...stalled])).entries()) {
      assert.ok(!a.stalled, `slow client ${i} was never cut off`);
      assert.ok(a.closed || a.status === 408, `slow client ${i}: ${a.head}`);
    }
    await alive('slow clients');
  });

  test('a flood of idle connections past the cap is refused; the API answers after', async () => {
    const flood = Array.from({ length: MAX_CONNECTIONS * 3 }, () => send('', { hold: true, deadlineMs: HEADER_TIMEOUT_MS * 2 + 8_000 }));
    const answers = await Promise.all(flood);
    for (const [i, a] of answers.entries()) assert.ok(!a.stalled, `idle connection ${i} never closed`);
    await alive('connection flood');
    assert.match(agent.logs(), /refused/, 'refused requests are logged');
    const refusedLines = agent
      .logs()
      .split('\n')
      .filter((l) => /http: refused/.test(l)).length;
    assert.ok(refusedLines < 100, `refusal logging is not rate-limited: ${refusedLines} lines`);
  });
});
