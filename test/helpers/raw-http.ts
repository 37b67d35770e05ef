import { connect } from 'node:net';

export interface RawAnswer {
  // The status code of the first response line, if one came.
  status: number | undefined;
  // The server closed the connection (after an answer or instead of one).
  closed: boolean;
  // Neither within the client's deadline: the request stalled the server.
  stalled: boolean;
  head: string;
  ms: number;
}

// Sends bytes over a raw TCP socket (no client-side HTTP parsing or checks) and waits for the
// first response line or the server closing. `trickleMs` sends the bytes one at a time, that far
// apart (a slow client); `hold` keeps the socket open after the bytes without ending it.
export function rawRequest(
  port: number,
  data: string | Buffer,
  opts: { deadlineMs?: number; trickleMs?: number; hold?: boolean; host?: string } = {},
): Promise<RawAnswer> {
  const t0 = Date.now();
  const deadlineMs = opts.deadlineMs ?? 10_000;
  return new Promise((resolve) => {
    const sock = connect({ host: opts.host ?? '127.0.0.1', port });
    let head = '';
    let done = false;
    let trickle: NodeJS.Timeout | undefined;
    const finish = (closed: boolean, stalled = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (trickle) clearInterval(trickle);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      sock.destroy();
      resolve({ status: m ? Number(m[1]) : undefined, closed, stalled, head: head.slice(0, 400), ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false, true), deadlineMs);
    sock.on('data', (d) => {
      head += d.toString('latin1');
      if (/\r\n\r\n/.test(head) || head.length > 4096) finish(false);
    });
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.on('connect', () => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1');
      if (opts.trickleMs === undefined) {
        sock.write(buf);
        if (!opts.hold) sock.end();
        return;
      }
      let i = 0;
      trickle = setInterval(() => {
        if (i >= buf.length || sock.destroyed) {
          clearInterval(trickle);
          return;
        }
        sock.write(buf.subarray(i, i + 1));
        i++;
      }, opts.trickleMs);
    });
  });
}

// A reproducible pseudo-random sequence (mulberry32), so a failing case can be run again.
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
