import http from 'node:http';
import https from 'node:https';

// What one HTTP check saw. Connection errors read as 502 and timeouts as 504 (the seed's
// runtime file records a 502 for a node that could not be reached).
export interface CheckResult {
  code: number;
  // Seconds, rounded to the millisecond, as the seed's `last-response-time`.
  timeS: number;
  error?: string;
  // The value of the header asked for (checkUrl's `header`), when the answer had it.
  header?: string;
}

export const CODE_UNREACHABLE = 502;
export const CODE_TIMEOUT = 504;

// One GET straight to a node: no agent, `Connection: close` (an Nginx reload cannot fake a
// failure), the whole exchange bounded by timeoutMs. `header`: a response header to report.
export function checkUrl(url: string, timeoutMs: number, signal?: AbortSignal, header?: string): Promise<CheckResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let seen: string | undefined;
    const finish = (code: number, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const timeS = Math.round(performance.now() - started) / 1000;
      const r: CheckResult = error === undefined ? { code, timeS } : { code, timeS, error };
      if (seen !== undefined) r.header = seen;
      resolve(r);
    };
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve({ code: CODE_UNREACHABLE, timeS: 0, error: `bad URL ${url}` });
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method: 'GET', agent: false, headers: { Connection: 'close', 'User-Agent': 'supha-health' }, signal }, (res) => {
      const h = header === undefined ? undefined : res.headers[header.toLowerCase()];
      if (h !== undefined) seen = Array.isArray(h) ? h.join(', ') : h;
      res.on('error', (e) => finish(CODE_UNREACHABLE, e.message));
      res.on('end', () => finish(res.statusCode ?? 0));
      res.resume();
    });
    const timer = setTimeout(() => {
      finish(CODE_TIMEOUT, `no answer within ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => finish(CODE_UNREACHABLE, e.message));
    req.end();
  });
}

// Runs fn over items with at most `limit` at once; results in input order.
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
