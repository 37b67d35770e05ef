import { connect } from 'node:net';

// A small XML-RPC codec and HTTP/1.0 transport, enough for supervisord (strings, ints, doubles,
// booleans, arrays, structs). It loads only node:net, so `supzcli status` starts fast: the
// `xmlrpc` package costs ~45 ms of start-up and node:http ~20 ms on a loaded 2-core machine.

export interface WireTarget {
  socketPath?: string | undefined;
  host: string;
  port?: number | undefined;
  path: string;
  auth?: { user: string; pass: string } | undefined;
}

// Errors keep the shapes SupervisorClient.translate() reads: {faultCode, faultString} for a
// fault, {res: {statusCode}} for HTTP, node's socket errors and AbortError as they come.
export function wireCall(target: WireTarget, method: string, params: readonly unknown[], signal: AbortSignal): Promise<unknown> {
  const body = Buffer.from(
    `<?xml version="1.0"?><methodCall><methodName>${escapeXml(method)}</methodName><params>${params.map((p) => `<param>${encodeValue(p)}</param>`).join('')}</params></methodCall>`,
  );
  const auth = target.auth ? `Authorization: Basic ${Buffer.from(`${target.auth.user}:${target.auth.pass}`).toString('base64')}\r\n` : '';
  const head = `POST ${target.path} HTTP/1.0\r\nHost: ${target.host}\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n${auth}\r\n`;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const sock = target.socketPath ? connect(target.socketPath) : connect(target.port ?? 80, target.host);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (fn: () => unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      try {
        resolve(fn());
      } catch (err) {
        reject(err);
      }
    };
    const onAbort = () => sock.destroy(Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
    signal.addEventListener('abort', onAbort, { once: true });
    // NOTE: no half-close after the request: supervisord (medusa) drops a connection whose reading
    // side ends while a deferred answer (start/stop with wait) is pending.
    sock.on('connect', () => sock.write(Buffer.concat([Buffer.from(head), body])));
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      const raw = Buffer.concat(chunks);
      if (complete(raw)) finish(() => decodeResponse(httpBody(raw)));
    });
    sock.on('error', (err) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    sock.on('end', () => finish(() => decodeResponse(httpBody(Buffer.concat(chunks)))));
  });
}

// Whether a response with a Content-Length has all its body (else the server's close ends it).
function complete(raw: Buffer): boolean {
  const sep = raw.indexOf('\r\n\r\n');
  if (sep < 0) return false;
  const length = /^content-length:\s*(\d+)/im.exec(raw.subarray(0, sep).toString('latin1'))?.[1];
  return length !== undefined && raw.length - sep - 4 >= Number(length);
}

// The body of an HTTP/1.x response read to its end; a status other than 200 is an error.
function httpBody(raw: Buffer): string {
  const sep = raw.indexOf('\r\n\r\n');
  if (sep < 0) throw new Error('malformed HTTP response: no end of headers');
  const head = raw.subarray(0, sep).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (!status) throw new Error('malformed HTTP response: no status line');
  if (status !== 200) throw Object.assign(new Error(`HTTP ${status}`), { res: { statusCode: status } });
  let body = raw.subarray(sep + 4);
  if (/^transfer-encoding:\s*chunked/im.test(head)) body = unchunk(body);
  const length = /^content-length:\s*(\d+)/im.exec(head)?.[1];
  if (length !== undefined) body = body.subarray(0, Number(length));
  return body.toString('utf8');
}

function unchunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    const size = Number.parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (eol < 0 || !(size > 0)) return Buffer.concat(parts);
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function encodeValue(v: unknown): string {
  if (typeof v === 'string') return `<value><string>${escapeXml(v)}</string></value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'number') return Number.isInteger(v) ? `<value><int>${v}</int></value>` : `<value><double>${v}</double></value>`;
  if (Array.isArray(v)) return `<value><array><data>${v.map(encodeValue).join('')}</data></array></value>`;
  if (v !== null && typeof v === 'object') {
    const members = Object.entries(v).map(([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeValue(x)}</member>`);
    return `<value><struct>${members.join('')}</struct></value>`;
  }
  throw new TypeError(`cannot encode ${typeof v} as XML-RPC`);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e[0] !== '#') return ENTITIES[e] ?? '';
    return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}

interface Frame {
  tag: string;
  text: string;
  items?: unknown[];
  obj?: Record<string, unknown>;
  member?: string;
  value?: unknown;
  typed?: boolean;
}

// Decodes a methodResponse: the value, or throws {faultCode, faultString} for a fault.
export function decodeResponse(xml: string): unknown {
  const stack: Frame[] = [];
  let result: unknown;
  let fault = false;
  let done = false;
  const re = /<(\/?)([A-Za-z][\w.-]*)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/g;
  for (const m of xml.matchAll(re)) {
    const [, close, tag, selfClose, text] = m;
    const top = stack[stack.length - 1];
    if (text !== undefined) {
      if (top) top.text += text;
      continue;
    }
    if (!tag) continue;
    if (!close) {
      const frame: Frame = { tag, text: '' };
      if (tag === 'array') frame.items = [];
      if (tag === 'struct') frame.obj = {};
      if (tag === 'fault') fault = true;
      stack.push(frame);
      if (!selfClose) continue;
    }
    const f = stack.pop();
    if (!f || f.tag !== tag) throw new Error(`malformed XML-RPC: unexpected </${tag}>`);
    const parent = stack[stack.length - 1];
    const value = scalar(f);
    if (tag === 'name' && parent?.tag === 'member') parent.member = unescapeXml(f.text);
    else if (tag === 'value') {
      const v = f.typed ? f.value : unescapeXml(f.text);
      if (parent?.tag === 'data') stack[stack.length - 2]?.items?.push(v);
      else if (parent?.tag === 'member') parent.value = v;
      else if (parent?.tag === 'param' || parent?.tag === 'fault') {
        result = v;
        done = true;
      }
    } else if (tag === 'member' && parent?.obj && f.member !== undefined) parent.obj[f.member] = f.value;
    else if (parent?.tag === 'value' && value !== NOT_SCALAR) {
      parent.value = value;
      parent.typed = true;
    }
  }
  if (!done) throw new Error('malformed XML-RPC: no value in the response');
  if (fault) {
    const f = result as { faultCode?: unknown; faultString?: unknown };
    throw Object.assign(new Error(String(f?.faultString ?? 'fault')), { faultCode: Number(f?.faultCode), faultString: String(f?.faultString ?? '') });
  }
  return result;
}

const NOT_SCALAR = Symbol('not scalar');

function scalar(f: Frame): unknown {
  switch (f.tag) {
    case 'string':
      return unescapeXml(f.text);
    case 'int':
    case 'i4':
    case 'i8':
    case 'double':
      return Number(f.text.trim());
    case 'boolean':
      return f.text.trim() === '1';
    case 'nil':
      return null;
    case 'array':
      return f.items;
    case 'struct':
      return f.obj;
    default:
      return NOT_SCALAR;
  }
}
