// The XML-RPC encoder (https://xmlrpc.com/spec.md): what xml-decode.ts reads back unchanged.
// string, boolean, int (i4 range) / i8 (other safe integers, bigint), double, dateTime.iso8601
// (Date, UTC), base64 (Buffer/Uint8Array), nil (null), array, struct.

const I4_MIN = -(2 ** 31);
const I4_MAX = 2 ** 31 - 1;
const I8_MIN = -(2n ** 63n);
const I8_MAX = 2n ** 63n - 1n;

// Characters XML 1.0 cannot carry at all: most C0 controls, lone surrogates, U+FFFE and U+FFFF.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the ones XML forbids
const NOT_XML = /[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isXmlText(s: string): boolean {
  return !NOT_XML.test(s);
}

// Text as XML character data. \r is written as a reference: a parser turns a raw \r into \n.
export function escapeXml(s: string): string {
  if (!isXmlText(s)) {
    throw new TypeError(`cannot encode ${JSON.stringify(s)} as XML: it holds a character XML 1.0 cannot carry`);
  }
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function encodeValue(v: unknown): string {
  if (typeof v === 'string') return `<value><string>${escapeXml(v)}</string></value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`cannot encode ${v} as XML-RPC`);
    if (Number.isInteger(v) && !Object.is(v, -0) && v >= I4_MIN && v <= I4_MAX) return `<value><int>${v}</int></value>`;
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return `<value><i8>${v}</i8></value>`;
    // NOTE: String(n) is the shortest text that reads back as n; -0 is the one it loses.
    return `<value><double>${Object.is(v, -0) ? '-0' : String(v)}</double></value>`;
  }
  if (typeof v === 'bigint') {
    if (v < I8_MIN || v > I8_MAX) throw new TypeError(`cannot encode ${v} as XML-RPC i8: out of range`);
    return `<value><i8>${v}</i8></value>`;
  }
  if (v === null) return '<value><nil/></value>';
  if (v instanceof Date) {
    const y = v.getUTCFullYear();
    if (!(y >= 0 && y <= 9999)) throw new TypeError('cannot encode a Date outside the years 0000-9999 as XML-RPC');
    const d = `${pad(y, 4)}${pad(v.getUTCMonth() + 1)}${pad(v.getUTCDate())}`;
    return `<value><dateTime.iso8601>${d}T${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}</dateTime.iso8601></value>`;
  }
  if (v instanceof Uint8Array) return `<value><base64>${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}</base64></value>`;
  if (Array.isArray(v)) return `<value><array><data>${v.map(encodeValue).join('')}</data></array></value>`;
  if (typeof v === 'object') {
    const members = Object.entries(v as object).map(([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeValue(x)}</member>`);
    return `<value><struct>${members.join('')}</struct></value>`;
  }
  throw new TypeError(`cannot encode ${typeof v} as XML-RPC`);
}

export function encodeCall(method: string, params: readonly unknown[]): string {
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${params.map((p) => `<param>${encodeValue(p)}</param>`).join('')}</params></methodCall>\n`;
}

// A methodResponse (a test's fake server, the round-trip properties).
export function encodeResponse(value: unknown): string {
  return `<?xml version="1.0"?>\n<methodResponse><params><param>${encodeValue(value)}</param></params></methodResponse>\n`;
}

export function encodeFault(faultCode: number, faultString: string): string {
  return `<?xml version="1.0"?>\n<methodResponse><fault>${encodeValue({ faultCode, faultString })}</fault></methodResponse>\n`;
}
