import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type HostileHost, startHostileHost } from './host.js';

// Requests on the control socket (mode 0600, but any local client): each malformed or ill-typed
// one gets one JSON error line and changes nothing.
describe('hostile input to a running agent: control socket', () => {
  let h: HostileHost;
  before(async () => {
    h = await startHostileHost();
  });
  after(async () => {
    await h?.stop();
  });

  test('control socket: malformed and ill-typed requests get one JSON error line each; the agent stays up', async () => {
    const reqs = [
      'junk',
      '{}',
      '[]',
      'null',
      '{"op":5}',
      '{"op":"nuke"}',
      '{"op":"notify"}',
      '{"op":"notify","event":null}',
      '{"op":"notify","event":{"type":"INSTANCE","name":"VI_H","state":"NUKE"}}',
      '{"op":"hold","set":"__proto__","reason":"x"}',
      '{"op":"hold","set":"../../x","reason":"x"}',
      '{"op":"release","set":"nope"}',
      '{"op":"check"}',
      '{"op":"check","set":"../x"}',
      '{"op":"quiesce","groups":"app1","ms":-1}',
      '{"op":"quiesce","groups":["app1"],"ms":1e12}',
      '{"op":"process","events":null}',
      '{"op":"process","events":[null]}',
      '{"op":"sync","action":"nuke"}',
      '{"op":"__proto__"}',
      '{"op":"constructor"}',
      `{"op":"status","pad":"${'y'.repeat(500_000)}"}`,
    ];
    // One connection a request: answers on one connection come in completion order.
    const ask = (line: string) =>
      new Promise<string>((resolve, reject) => {
        const c = createConnection(h.sock);
        let buf = '';
        c.on('data', (d) => {
          buf += String(d);
          if (buf.includes('\n')) {
            c.end();
            resolve(buf.trim());
          }
        });
        c.on('error', reject);
        c.write(`${line}\n`);
        setTimeout(() => reject(new Error(`no answer to ${line.slice(0, 80)}`)), 10_000).unref();
      });
    const answers: string[] = [];
    for (const r of reqs) answers.push(await ask(r));
    assert.equal(answers.length, reqs.length);
    const oks: string[] = [];
    for (const [i, a] of answers.entries()) {
      const r = JSON.parse(a) as { ok: boolean; error?: string };
      if (r.ok && !reqs[i]?.includes('"op":"status"')) oks.push(reqs[i]?.slice(0, 80) ?? '');
      if (!r.ok) assert.ok(typeof r.error === 'string' && !r.error.includes('\n'), a);
    }
    assert.equal(h.agent.child.exitCode, null);
    await new Promise((r) => setTimeout(r, 1_000)); // NOTE: 3 reconcile passes: an unwanted stop would show
    assert.ok(await h.running(), 'the set still runs on its MASTER');
    assert.ok((await h.agent.status()) !== undefined);
    assert.deepEqual(oks, [], 'requests that should have been refused');
    // A 2 MB line without a newline: the connection is dropped, the agent stays.
    await new Promise<void>((resolve) => {
      const c = createConnection(h.sock);
      c.on('close', () => resolve());
      c.on('error', () => {});
      c.write('z'.repeat(2_000_000));
    });
    assert.ok(await h.agent.status());
  });
});
