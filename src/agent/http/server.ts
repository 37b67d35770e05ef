import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../util/log.js';
import { HttpError } from './body.js';
import { RefusalLog } from './refusals.js';

export interface HttpLimits {
  'header-timeout-ms': number;
  'request-timeout-ms': number;
  'max-connections': number;
  'max-body-bytes': number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => Promise<void>;

export function send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

// The request target as path and query, or undefined when it is not origin-form ("/path?q"):
// absolute-form, authority-form, "*", "//host:port/…" and anything URL refuses.
export function parseTarget(target: string | undefined): { path: string; query: URLSearchParams } | undefined {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    const url = new URL(target, 'http://agent');
    return { path: url.pathname, query: url.searchParams };
  } catch {
    return undefined;
  }
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'Request Timeout'],
};

// An HTTP server no client can crash or stall: every handler runs inside one guard (a 4xx for
// what the client got wrong, a 500 with the stack logged for a bug; the process lives), header
// and request timeouts, an idle timeout, a connection cap and rate-limited logging of refusals.
export function guardedServer(limits: HttpLimits, handle: Handler, log: Logger): { server: Server; refusals: RefusalLog } {
  const refusals = new RefusalLog(log);
  const headerMs = limits['header-timeout-ms'];
  const requestMs = Math.max(limits['request-timeout-ms'], headerMs + 1);
  const server = createServer(
    {
      headersTimeout: headerMs,
      requestTimeout: requestMs,
      keepAliveTimeout: Math.min(5_000, headerMs),
      // NOTE: Node checks the two timeouts above only this often (default 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headerMs / 3))),
      maxHeaderSize: 16_384,
    },
    (req, res) => {
      const remote = req.socket.remoteAddress;
      res.on('error', () => {});
      req.on('error', () => {});
      const target = parseTarget(req.url);
      if (target === undefined) {
        refusals.refuse('bad request target', { remote, method: req.method, target: req.url, code: 400 });
        res.shouldKeepAlive = false;
        return send(res, 400, { error: 'bad request target: expected /path' });
      }
      handle(req, res, target.path, target.query).catch((err: unknown) => {
        if (err instanceof HttpError) {
          refusals.refuse(err.message, { remote, method: req.method, target: req.url, code: err.status });
          if (res.headersSent) return res.destroy();
          res.shouldKeepAlive = false;
          // NOTE: read on what the client still sends, so closing after the answer does not reset
          // the connection and lose the answer (a 413 while the body is still coming).
          req.resume();
          return send(res, err.status, { error: err.message });
        }
        log.error({ err, method: req.method, target: req.url?.slice(0, 200) }, 'http: handler failed (a bug)');
        if (res.headersSent) return res.destroy();
        send(res, 500, { error: 'internal error (logged)' });
      });
    },
  );
  server.maxConnections = limits['max-connections'];
  // NOTE: a client that half-closes after its request (shutdown(SHUT_WR)) still gets the answer;
  // by default Node aborts the request in flight then.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.maxHeadersCount = 100;
  server.maxRequestsPerSocket = 100;
  // An idle socket (no bytes for this long) is closed whatever the parser waits for.
  server.setTimeout(requestMs, (sock: Socket) => sock.destroy());
  server.on('drop', (d?: { remoteAddress?: string }) => refusals.refuse(`over ${limits['max-connections']} connections`, { remote: d?.remoteAddress }));
  server.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => {
    if (err.code === 'ECONNRESET' || !sock.writable) return sock.destroy();
    const [code, text] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
    refusals.refuse(`${text.toLowerCase()} (${err.code ?? err.message})`, { remote: sock.remoteAddress, code });
    const body = `{"error":"${text}"}\n`;
    sock.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    setTimeout(() => sock.destroy(), 1_000).unref();
  });
  return { server, refusals };
}

// Listens on "host:port" ([v6]:port too).
export async function listen(server: Server, address: string): Promise<void> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(address.slice(i + 1)), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
