// The XML-RPC decoder (https://xmlrpc.com/spec.md), the project's one: a strict recursive-descent
// reader of a methodResponse. Every type of the spec plus nil; CDATA, comments, character and the
// five predefined entity references; no DTD (no entity expansion). Anything else is an Error whose
// message starts "malformed XML-RPC". bench/xmlrpc-decode.ts chose it over the xmlrpc package's sax
// reader; docs/agent.md has the figures.

const MAX_DEPTH = 100;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const INT = /^[+-]?\d+$/;
const DOUBLE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|nan)$/i;
const DATETIME = /^(\d{4})-?(\d\d)-?(\d\d)T(\d\d):?(\d\d):?(\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

class Reader {
  at = 0;
  constructor(readonly xml: string) {}

  fail(what: string): never {
    throw new Error(`malformed XML-RPC: ${what} at offset ${this.at}`);
  }

  // Whitespace, comments and processing instructions between elements.
  skip(): void {
    const x = this.xml;
    for (;;) {
      while (this.at < x.length && ' \t\r\n'.includes(x.charAt(this.at))) this.at++;
      if (x.startsWith('<!--', this.at)) this.at = this.after('-->');
      else if (x.startsWith('<?', this.at)) this.at = this.after('?>');
      else if (x.startsWith('<!', this.at)) this.fail('a DTD or declaration (not allowed in XML-RPC)');
      else return;
    }
  }

  after(end: string): number {
    const i = this.xml.indexOf(end, this.at);
    if (i < 0) this.fail(`no ${end}`);
    return i + end.length;
  }

  // `<name>` or `<name/>` (true when empty). Attributes are not part of XML-RPC.
  open(name?: string): { name: string; empty: boolean } {
    const x = this.xml;
    if (x.charAt(this.at) !== '<' || x.charAt(this.at + 1) === '/') this.fail(name ? `<${name}> expected` : 'an element expected');
    const close = x.indexOf('>', this.at);
    if (close < 0) this.fail('an unclosed tag');
    let tag = x.slice(this.at + 1, close);
    const empty = tag.endsWith('/');
    if (empty) tag = tag.slice(0, -1);
    tag = tag.trimEnd();
    if (!/^[A-Za-z][\w.-]*$/.test(tag)) this.fail(`a bad tag <${x.slice(this.at + 1, close)}>`);
    if (name !== undefined && tag !== name) this.fail(`<${name}> expected, not <${tag}>`);
    this.at = close + 1;
    return { name: tag, empty };
  }

  close(name: string): void {
    const x = this.xml;
    if (!x.startsWith(`</${name}`, this.at)) this.fail(`</${name}> expected`);
    let i = this.at + name.length + 2;
    while (' \t\r\n'.includes(x.charAt(i)) && i < x.length) i++;
    if (x.charAt(i) !== '>') this.fail(`</${name}> expected`);
    this.at = i + 1;
  }

  // Character data up to the next tag: entity and character references, CDATA, comments.
  text(): string {
    const x = this.xml;
    let out = '';
    for (;;) {
      const lt = x.indexOf('<', this.at);
      if (lt < 0) this.fail('text runs to the end');
      out += this.unescape(x.slice(this.at, lt));
      this.at = lt;
      if (x.startsWith('<![CDATA[', lt)) {
        const end = x.indexOf(']]>', lt + 9);
        if (end < 0) this.fail('an unclosed CDATA section');
        out += x.slice(lt + 9, end);
        this.at = end + 3;
      } else if (x.startsWith('<!--', lt)) this.at = this.after('-->');
      else return out;
    }
  }

  unescape(s: string): string {
    if (s.includes(']]>')) this.fail('"]]>" in text');
    const raw = s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&]*);?/g, (m, ref: string) => {
      if (!m.endsWith(';')) this.fail('a bare "&" in text');
      if (ref.startsWith('#')) {
        const code = /^#x[0-9a-fA-F]+$/.test(ref) ? Number.parseInt(ref.slice(2), 16) : /^#\d+$/.test(ref) ? Number(ref.slice(1)) : Number.NaN;
        if (!(code >= 1 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) this.fail(`a bad character reference &${ref};`);
        return String.fromCodePoint(code);
      }
      const e = Object.hasOwn(ENTITIES, ref) ? ENTITIES[ref] : undefined;
      if (e === undefined) this.fail(`an unknown entity &${ref};`);
      return e;
    });
  }

  // `<value>…</value>`, the reader positioned at its `<`.
  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`values nested deeper than ${MAX_DEPTH}`);
    if (this.open('value').empty) return '';
    const untyped = this.text();
    if (this.xml.startsWith('</', this.at)) {
      this.close('value');
      return untyped;
    }
    if (untyped.trim() !== '') this.fail('text beside a typed value');
    const t = this.open();
    const v = t.empty ? this.emptyOf(t.name) : this.typed(t.name, depth);
    this.skip();
    this.close('value');
    return v;
  }

  emptyOf(type: string): unknown {
    if (type === 'nil') return null;
    if (type === 'string') return '';
    if (type === 'base64') return Buffer.alloc(0);
    if (type === 'struct') return {};
    if (type === 'array') return [];
    return this.fail(`an empty <${type}/>`);
  }

  typed(type: string, depth: number): unknown {
    if (type === 'array') return this.array(depth);
    if (type === 'struct') return this.struct(depth);
    const s = this.text();
    this.close(type);
    return scalar(type, s, (what) => this.fail(what));
  }

  array(depth: number): unknown[] {
    this.skip();
    const out: unknown[] = [];
    if (!this.open('data').empty) {
      for (this.skip(); !this.xml.startsWith('</', this.at); this.skip()) out.push(this.value(depth + 1));
      this.close('data');
    }
    this.skip();
    this.close('array');
    return out;
  }

  struct(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (this.skip(); !this.xml.startsWith('</', this.at); this.skip()) {
      if (this.open('member').empty) this.fail('an empty <member/>');
      this.skip();
      const tag = this.open('name');
      const name = tag.empty ? '' : this.text();
      if (!tag.empty) this.close('name');
      this.skip();
      // NOTE: a member named __proto__ is an own property, never the object's prototype.
      Object.defineProperty(out, name, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.skip();
      this.close('member');
    }
    this.close('struct');
    return out;
  }
}

function scalar(type: string, s: string, fail: (what: string) => never): unknown {
  switch (type) {
    case 'string':
      return s;
    case 'int':
    case 'i4':
    case 'i8': {
      const t = s.trim();
      if (!INT.test(t)) return fail(`<${type}>${t}</${type}> is no integer`);
      const n = Number(t);
      return Number.isSafeInteger(n) ? n : BigInt(t);
    }
    case 'boolean': {
      const t = s.trim();
      if (t !== '0' && t !== '1') return fail(`<boolean>${t}</boolean> is neither 0 nor 1`);
      return t === '1';
    }
    case 'double': {
      const t = s.trim();
      if (!DOUBLE.test(t)) return fail(`<double>${t}</double> is no number`);
      const w = t.toLowerCase().replace(/^\+/, '');
      return w === 'inf' ? Number.POSITIVE_INFINITY : w === '-inf' ? Number.NEGATIVE_INFINITY : /nan/.test(w) ? Number.NaN : Number(t);
    }
    case 'dateTime.iso8601': {
      const m = DATETIME.exec(s.trim());
      if (!m) return fail(`<dateTime.iso8601>${s}</dateTime.iso8601> is no date`);
      const [, y, mo, d, h, mi, se, zone] = m;
      const iso = `${y}-${mo}-${d}T${h}:${mi}:${se}${zone === undefined ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
      const date = new Date(iso);
      if (Number.isNaN(date.getTime())) return fail(`<dateTime.iso8601>${s}</dateTime.iso8601> is no date`);
      return date;
    }
    case 'base64': {
      const t = s.replace(/[ \t\r\n]/g, '');
      if (!BASE64.test(t)) return fail('<base64> holds no base64');
      return Buffer.from(t, 'base64');
    }
    case 'nil':
      if (s.trim() !== '') return fail('<nil> with content');
      return null;
    default:
      return fail(`an unknown type <${type}>`);
  }
}

// Decodes a methodResponse: its value, or throws {faultCode, faultString} for a fault.
export function decodeResponse(xml: string): unknown {
  const r = new Reader(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml);
  r.skip();
  if (r.open('methodResponse').empty) r.fail('an empty <methodResponse/>');
  r.skip();
  const head = r.open();
  const kind = head.name;
  if (head.empty) r.fail(`an empty <${kind}/>`);
  r.skip();
  let value: unknown;
  if (kind === 'params') {
    if (r.open('param').empty) r.fail('an empty <param/>');
    r.skip();
    value = r.value(0);
    r.skip();
    r.close('param');
    r.skip();
    r.close('params');
  } else if (kind === 'fault') {
    value = r.value(0);
    r.skip();
    r.close('fault');
  } else r.fail(`<params> or <fault> expected, not <${kind}>`);
  r.skip();
  r.close('methodResponse');
  r.skip();
  if (r.at !== r.xml.length) r.fail('content after </methodResponse>');
  if (kind === 'fault') {
    const f = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const { faultCode, faultString } = f;
    if (typeof faultCode !== 'number' || typeof faultString !== 'string') throw new Error('malformed XML-RPC: a fault without faultCode and faultString');
    throw Object.assign(new Error(faultString), { faultCode, faultString });
  }
  return value;
}
