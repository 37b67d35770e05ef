// Which XML-RPC decoder: a real getAllProcessInfo response of 500 RUNNING programs from a real
// supervisord, decoded by the `xmlrpc` package's sax-based Deserializer and by
// src/supervisor/xml-decode.ts, interleaved in the same run. Prints each median, the ratio, and
// checks first that both read the same value.
// Run: node dist/bench/xmlrpc-decode.js [rounds]
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { httpExchange } from '../src/supervisor/wire.js';
import { decodeResponse } from '../src/supervisor/xml-decode.js';
import { encodeCall } from '../src/supervisor/xml-encode.js';
import { startSupervisord } from '../test/helpers/supervisord.js';
import { waitFor } from '../test/helpers/tmp.js';

const ROUNDS = Number(process.argv[2] ?? 41);
const N = 500;

type Deserializer = { deserializeMethodResponse(s: Readable, cb: (err: unknown, v: unknown) => void): void };
const require = createRequire(import.meta.url);
// NOTE: a devDependency kept for this comparison only; no code under src/ loads it.
const XmlrpcDeserializer = require('xmlrpc/lib/deserializer.js') as new () => Deserializer;

function viaXmlrpc(xml: string): Promise<unknown> {
  return new Promise((resolve, reject) =>
    new XmlrpcDeserializer().deserializeMethodResponse(Readable.from([xml]), (err, v) => (err ? reject(err) : resolve(v))),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

async function main(): Promise<void> {
  const programs = Object.fromEntries(
    Array.from({ length: N }, (_, i) => [`p${String(i).padStart(3, '0')}`, { command: '/bin/sleep 100000', autostart: true }]),
  );
  const sv = await startSupervisord({ programs });
  try {
    const target = { socketPath: sv.socketPath, host: 'localhost', path: '/RPC2' };
    const fetchXml = () => httpExchange(target, encodeCall('supervisor.getAllProcessInfo', []), AbortSignal.timeout(10_000));
    await waitFor(
      '500 programs RUNNING',
      async () => (decodeResponse(await fetchXml()) as { statename: string }[]).every((p) => p.statename === 'RUNNING'),
      120_000,
      500,
    );
    const xml = await fetchXml();
    assert.deepEqual(decodeResponse(xml), await viaXmlrpc(xml), 'the two decoders read the response differently');
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await viaXmlrpc(xml);
      theirs.push(performance.now() - t);
      t = performance.now();
      decodeResponse(xml);
      ours.push(performance.now() - t);
    }
    const a = median(theirs);
    const b = median(ours);
    console.log(`getAllProcessInfo of ${N} programs: ${xml.length} bytes, ${ROUNDS} rounds each, interleaved`);
    console.log(`  xmlrpc package (sax)        median ${a.toFixed(2)} ms`);
    console.log(`  src/supervisor/xml-decode   median ${b.toFixed(2)} ms`);
    console.log(`  ratio xml-decode/xmlrpc     ${(b / a).toFixed(2)}`);
  } finally {
    await sv.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
