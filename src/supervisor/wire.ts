import { connect } from 'node:net';
import { decodeResponse } from './xml-decode.js';
import { encodeCall } from './xml-encode.js';

// The one XML-RPC transport: HTTP/1.0 POST over supervisord's unix socket or inet port. It loads
// only node:net, so `supzcli status` starts fast (the `xmlrpc` package cost ~45 ms of start-up
// and node:http ~20 ms on a loaded 2-core machine).

export interface WireTarget {
  socketPath?: string | undefined;
  host: string;
  port?: number | undefined;
  path: string;
  auth?: { user: string; pass: string } | undefined;
}

// A response larger than this is refused (a log read is bounded by its length argument).
const MAX_RESPONSE = 64 * 1024 * 1024;

// Errors keep the shapes SupervisorClient.translate() reads: {faultCode, faultString} for a
// fault, {res: {statusCode}} for HTTP, node's socket errors and AbortError as they come.
export async function wireCall(target: WireTarget, method: string, params: readonly unknown[], signal: AbortSignal): Promise<unknown> {
  return decodeResponse(await httpExchange(target, encodeCall(method, params), signal));
}

// POSTs an XML body and resolves with the response body (HTTP 200) as text.
export function httpExchange(target: WireTarget, xml: string, signal: AbortSignal): Promise<string> {
  const body = Buffer.from(xml);
  const auth = target.auth ? `Authorization: Basic ${Buffer.from(`${target.auth.user}:${target.auth.pass}`).toString('base64')}\r\n` : '';
  const head = `POST ${target.path} HTTP/1.0\r\nHost: ${target.host}\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n${auth}\r\n`;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const sock = target.socketPath ? connect(target.socketPath) : connect(target.port ?? 80, target.host);
    const chunks: Buffer[] = [];
    let size = 0;
    // Where the body starts and how long it is, once the headers are in.
    let bodyAt = -1;
    let length: number | undefined;
    let settled = false;
    const finish = (fn: () => string) => {
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
      size += c.length;
      if (size > MAX_RESPONSE) return finish(() => fail(`response larger than ${MAX_RESPONSE} bytes`));
      if (bodyAt < 0) {
        // Headers are small: join only until their end is seen, then count bytes.
        const raw = chunks.length > 1 ? Buffer.concat(chunks) : c;
        chunks.length = 0;
        chunks.push(raw);
        const sep = raw.indexOf('\r\n\r\n');
        if (sep < 0) return;
        bodyAt = sep + 4;
        const len = /^content-length:\s*(\d+)\s*$/im.exec(raw.subarray(0, sep).toString('latin1'))?.[1];
        length = len === undefined ? undefined : Number(len);
      }
      if (length !== undefined && size - bodyAt >= length) finish(() => httpBody(Buffer.concat(chunks, size)));
    });
    sock.on('error', (err) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    sock.on('end', () => finish(() => httpBody(Buffer.concat(chunks, size))));
  });
}

function fail(what: string): never {
  throw new Error(`malformed HTTP response: ${what}`);
}

// The body of an HTTP/1.x response read to its end; a status other than 200 is an error.
function httpBody(raw: Buffer): string {
  const sep = raw.indexOf('\r\n\r\n');
  if (sep < 0) fail('no end of headers');
  const head = raw.subarray(0, sep).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (!status) fail('no status line');
  if (status !== 200) throw Object.assign(new Error(`HTTP ${status}`), { res: { statusCode: status } });
  let body = raw.subarray(sep + 4);
  if (/^transfer-encoding:\s*chunked\s*$/im.test(head)) body = unchunk(body);
  const length = /^content-length:\s*(\d+)\s*$/im.exec(head)?.[1];
  if (length !== undefined) {
    if (body.length < Number(length)) fail(`body cut short (${body.length} of ${length} bytes)`);
    body = body.subarray(0, Number(length));
  }
  return body.toString('utf8');
}

function unchunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) fail('a chunked body cut short');
    const size = Number.parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size) || eol + 2 + size > b.length) fail('a bad chunk');
    if (size === 0) return Buffer.concat(parts);
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
