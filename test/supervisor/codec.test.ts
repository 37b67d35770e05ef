import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeResponse } from '../../src/supervisor/xml-decode.js';
import { encodeCall, encodeFault, encodeResponse, encodeValue, isXmlText } from '../../src/supervisor/xml-encode.js';
import { run } from '../../src/util/exec.js';

const response = (value: string) => `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${value}\n</param>\n</params>\n</methodResponse>\n`;
const isMalformed = (e: unknown) => e instanceof Error && /^malformed XML-RPC/.test(e.message);

test('the codec reads what supervisord writes and writes what it reads', () => {
  const xml = response(
    '<value><array><data>\n<value><struct>\n<member>\n<name>name</name>\n<value><string>a &amp; &lt;b&gt;</string></value>\n</member>\n<member>\n<name>pid</name>\n<value><int>42</int></value>\n</member>\n<member>\n<name>ok</name>\n<value><boolean>1</boolean></value>\n</member>\n<member>\n<name>empty</name>\n<value><string></string></value>\n</member>\n<member>\n<name>plain</name>\n<value>untyped</value>\n</member>\n</struct></value>\n<value><double>1.5</double></value>\n<value><array><data>\n</data></array></value>\n</data></array></value>',
  );
  assert.deepEqual(decodeResponse(xml), [{ name: 'a & <b>', pid: 42, ok: true, empty: '', plain: 'untyped' }, 1.5, []]);
  assert.throws(
    () => decodeResponse(encodeFault(10, 'BAD_NAME: x')),
    (e: unknown) => (e as { faultCode: number }).faultCode === 10 && (e as { faultString: string }).faultString === 'BAD_NAME: x',
  );
  assert.throws(() => decodeResponse('<html>nope</html>'), isMalformed);
  assert.equal(
    encodeValue(['a<', 3, true, { k: 1.5 }]),
    '<value><array><data><value><string>a&lt;</string></value><value><int>3</int></value><value><boolean>1</boolean></value><value><struct><member><name>k</name><value><double>1.5</double></value></member></struct></value></data></array></value>',
  );
});

test('every type of the spec decodes: CDATA, base64, dateTime, i8, nil, references', () => {
  const one = (v: string) => decodeResponse(response(`<value>${v}</value>`));
  assert.equal(one('<string><![CDATA[a<b&c]]></string>'), 'a<b&c');
  assert.equal(one('<string>x<![CDATA[<y>]]>z</string>'), 'x<y>z');
  assert.deepEqual(one('<base64>aGk=\n</base64>'), Buffer.from('hi'));
  assert.deepEqual(one('<dateTime.iso8601>20240131T23:59:58</dateTime.iso8601>'), new Date('2024-01-31T23:59:58Z'));
  assert.equal(one('<i8>9007199254740993</i8>'), 9007199254740993n);
  assert.equal(one('<i8>-42</i8>'), -42);
  assert.equal(one('<nil/>'), null);
  assert.equal(one('<string>&#233;&#x1F600;&quot;&apos;</string>'), 'é😀"\'');
  assert.equal(one('<string>a\r\nb</string>'), 'a\nb');
});

test('what the spec does not allow is refused, not guessed', () => {
  const one = (v: string) => () => decodeResponse(response(`<value>${v}</value>`));
  for (const bad of [
    '<boolean>true</boolean>',
    '<boolean>2</boolean>',
    '<int>12abc</int>',
    '<int></int>',
    '<double>1.2.3</double>',
    '<base64>a*b=</base64>',
    '<dateTime.iso8601>yesterday</dateTime.iso8601>',
    '<string>a &nbsp; b</string>',
    '<string>a & b</string>',
    '<string>&#0;</string>',
    '<float>1</float>',
    'text<int>1</int>',
    '<array><data><value>1</value></array>',
  ]) {
    assert.throws(one(bad), isMalformed, bad);
  }
  assert.throws(() => decodeResponse(`<!DOCTYPE x [<!ENTITY a "b">]>${response('<value>&a;</value>')}`), isMalformed);
  assert.throws(() => decodeResponse(response('<value>1</value>').replace('</methodResponse>', '</methodResponse><x/>')), isMalformed);
  assert.throws(() => decodeResponse(`${'<value><array><data>'.repeat(200)}`), isMalformed);
  const deep = response(`${'<value><array><data>'.repeat(200)}${'</data></array></value>'.repeat(200)}`);
  assert.throws(() => decodeResponse(deep), /nested deeper/);
  assert.throws(() => decodeResponse(encodeResponse({ faultCode: 1 }).replace('params><param', 'fault').replace('param></params', 'fault')), isMalformed);
});

test('a member named __proto__ is data, never the prototype', () => {
  const v = decodeResponse(
    response(
      '<value><struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value>yes</value></member></struct></value></member></struct></value>',
    ),
  ) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal((v as { polluted?: unknown }).polluted, undefined);
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

// A struct with any keys, __proto__ and constructor among them, as own properties.
const struct = (entries: [string, unknown][]) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
};
const xmlChar = fc.string({ unit: 'grapheme', maxLength: 20 }).filter(isXmlText);
const key = fc.oneof(xmlChar, fc.constantFrom('__proto__', 'constructor', 'toString', ''));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    xmlChar,
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noDefaultInfinity: true, noNaN: true }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)),
    fc.constant(null),
    fc.integer({ min: -62167219200, max: 253402300799 }).map((s) => new Date(s * 1000)),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 5, selector: (e) => e[0] }).map(struct),
  ),
}));

test('property: decode(encode(v)) is v for every value XML-RPC can carry', () => {
  fc.assert(
    fc.property(value, (v) => {
      assert.deepStrictEqual(decodeResponse(encodeResponse(v)), v);
    }),
    { numRuns: 500 },
  );
});

test('property: a method call encodes every value or refuses it with a TypeError', () => {
  fc.assert(
    fc.property(fc.string(), fc.anything(), (method, param) => {
      try {
        assert.match(encodeCall(method, [param]), /^<\?xml version="1.0"\?>\n<methodCall>/);
      } catch (e) {
        assert.ok(e instanceof TypeError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});

test('property: hostile text decodes, is a fault, or is a "malformed XML-RPC" error, nothing else', () => {
  const valid = fc.tuple(value, fc.nat(), fc.nat({ max: 20 }), fc.string({ maxLength: 5 })).map(([v, at, cut, junk]) => {
    const xml = encodeResponse(v);
    const i = at % (xml.length + 1);
    return xml.slice(0, i) + junk + xml.slice(i + cut);
  });
  fc.assert(
    fc.property(fc.oneof(fc.string(), valid), (xml) => {
      try {
        decodeResponse(xml);
      } catch (e) {
        assert.ok(isMalformed(e) || typeof (e as { faultCode?: unknown }).faultCode === 'number', String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

// Python's xmlrpc.client is what supervisord reads requests and writes answers with.
const PY = `
import sys, base64, xmlrpc.client as x
for line in sys.stdin:
    (v,), _ = x.loads(base64.b64decode(line).decode(), use_builtin_types=True)
    print(base64.b64encode(x.dumps((v,), methodresponse=True, allow_none=True).encode()).decode())
`;

test("property: Python's xmlrpc.client reads what we encode and we read what it writes back", async () => {
  // What Python can carry both ways: ints in i4 (it refuses to write larger), years 1-9999, no \r
  // (any XML parser, Python's included, reads a raw \r as \n).
  const pyText = xmlChar.filter((s) => !s.includes('\r'));
  const { py } = fc.letrec((tie) => ({
    py: fc.oneof(
      { depthSize: 'small' },
      pyText,
      fc.boolean(),
      fc.integer(),
      fc.double({ noDefaultInfinity: true, noNaN: true }),
      fc.constant(null),
      fc.integer({ min: -62135596800, max: 253402300799 }).map((s) => new Date(s * 1000)),
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
      fc.array(tie('py'), { maxLength: 4 }),
      fc.uniqueArray(fc.tuple(fc.oneof(pyText, fc.constant('__proto__')), tie('py')), { maxLength: 4, selector: (e) => e[0] }).map(struct),
    ),
  }));
  const values = fc.sample(py, { numRuns: 300, seed: 42 });
  const input = values.map((v) => Buffer.from(encodeResponse(v)).toString('base64')).join('\n');
  const out = (await run('python3', ['-c', PY], { input: `${input}\n`, timeoutMs: 60_000 })).stdout.trim().split('\n');
  assert.equal(out.length, values.length);
  values.forEach((v, i) => {
    assert.deepStrictEqual(decodeResponse(Buffer.from(out[i] ?? '', 'base64').toString()), v);
  });
});
