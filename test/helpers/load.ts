import http from 'node:http';

export interface Reply {
  code: number;
  body: string;
}

// One GET; `close` sends `Connection: close` on a fresh connection.
export function get(url: string, opts: { agent?: http.Agent; close?: boolean; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      {
        agent: opts.agent ?? false,
        headers: opts.close === false ? {} : { Connection: 'close' },
        timeout: opts.timeoutMs ?? 5_000,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export interface LoadResult {
  ok: number;
  failed: number;
  // Failure reasons (status codes or error codes) with counts.
  reasons: Record<string, number>;
  // Response bodies seen, with counts (which version served).
  bodies: Record<string, number>;
  seconds: number;
}

export interface Load {
  snapshot(): LoadResult;
  stop(): Promise<LoadResult>;
}

// `clients` loops each sending GETs back to back until stopped: keep-alive clients share one
// agent with a socket each; close clients send `Connection: close`. Loopback only.
export function startLoad(url: string, opts: { clients: number; keepAlive: boolean; maxSeconds?: number }): Load {
  const agent = opts.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: opts.clients }) : undefined;
  const res: LoadResult = { ok: 0, failed: 0, reasons: {}, bodies: {}, seconds: 0 };
  const started = performance.now();
  const limit = started + (opts.maxSeconds ?? 600) * 1000;
  let running = true;
  const fail = (why: string) => {
    res.failed++;
    res.reasons[why] = (res.reasons[why] ?? 0) + 1;
  };
  const loop = async () => {
    while (running && performance.now() < limit) {
      try {
        const r = await get(url, agent ? { agent, close: false } : { close: true });
        if (r.code === 200) {
          res.ok++;
          const b = r.body.trim();
          res.bodies[b] = (res.bodies[b] ?? 0) + 1;
        } else fail(String(r.code));
      } catch (err) {
        fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }
  };
  const loops = Array.from({ length: opts.clients }, loop);
  const snap = () => ({ ...res, reasons: { ...res.reasons }, bodies: { ...res.bodies }, seconds: (performance.now() - started) / 1000 });
  return {
    snapshot: snap,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent?.destroy();
      return snap();
    },
  };
}
