import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from '../errors.js';

// etcd's JSON gateway (etcd 3.4 serves /v3/*; 3.5 the same): plain HTTP/1.1 POSTs of JSON, keys
// and values base64, int64s as strings. NOTE: chosen over the etcd3 npm client (grpc-js and
// protobufjs) because supha needs five calls, each a single request with a hard timeout, and a
// keepalive that is one request per renewal makes "when did the lease last get renewed" exact.
export interface EtcdOptions {
  endpoints: readonly string[];
  timeoutMs: number;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  auth?: { user: string; password: string };
}

export class EtcdError extends Error {
  override name = 'EtcdError';
  constructor(
    message: string,
    // true: no endpoint answered (network, timeout, etcd down); false: etcd answered with an error.
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

export interface KeyValue {
  value: string;
  // '0': a key bound to no lease (an etcdctl put, a restore): it never expires.
  lease: string;
  createRevision: string;
  modRevision: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString();

interface RawKv {
  value?: string;
  lease?: string;
  create_revision?: string;
  mod_revision?: string;
}

export class EtcdClient {
  private token: string | undefined;
  // The endpoint that answered last is tried first.
  private preferred = 0;
  // Per endpoint: the time of its last answer or failure, and the failure's words.
  readonly health: { endpoint: string; ok: boolean | undefined; at: string | undefined; error: string | undefined }[];

  constructor(private readonly o: EtcdOptions) {
    this.health = o.endpoints.map((endpoint) => ({ endpoint, ok: undefined, at: undefined, error: undefined }));
  }

  async grant(ttlSeconds: number): Promise<{ id: string; ttl: number }> {
    const r = (await this.call('/v3/lease/grant', { TTL: ttlSeconds })) as { ID?: string; TTL?: string };
    if (!r.ID) throw new EtcdError('lease grant: no lease ID in the answer', false);
    return { id: r.ID, ttl: Number(r.TTL ?? ttlSeconds) };
  }

  // The lease's new TTL in seconds, 0 when it is gone (expired or revoked).
  async keepalive(id: string): Promise<number> {
    const r = (await this.call('/v3/lease/keepalive', { ID: id })) as { result?: { TTL?: string } };
    return Number(r.result?.TTL ?? 0);
  }

  async revoke(id: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: id });
    } catch (err) {
      if (err instanceof EtcdError && !err.unreachable && /lease not found/.test(err.message)) return;
      throw err;
    }
  }

  // Puts key=value bound to the lease if the key does not exist; otherwise returns who holds it.
  async createIfAbsent(key: string, value: string, lease: string): Promise<{ created: true } | { created: false; held: KeyValue | undefined }> {
    const k = b64(key);
    const r = (await this.call('/v3/kv/txn', {
      compare: [{ key: k, target: 'CREATE', createRevision: '0' }],
      success: [{ requestPut: { key: k, value: b64(value), lease } }],
      failure: [{ requestRange: { key: k } }],
    })) as { succeeded?: boolean; responses?: { response_range?: { kvs?: RawKv[] } }[] };
    if (r.succeeded) return { created: true };
    const kv = r.responses?.[0]?.response_range?.kvs?.[0];
    return { created: false, held: kv && toKv(kv) };
  }

  // Deletes the key if it is still the version read (its mod revision); false when it changed.
  async deleteIfUnchanged(key: string, modRevision: string): Promise<boolean> {
    const k = b64(key);
    const r = (await this.call('/v3/kv/txn', {
      compare: [{ key: k, target: 'MOD', modRevision }],
      success: [{ requestDeleteRange: { key: k } }],
    })) as { succeeded?: boolean };
    return r.succeeded === true;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = (await this.call('/v3/kv/range', { key: b64(key) })) as { kvs?: RawKv[] };
    const kv = r.kvs?.[0];
    return kv && toKv(kv);
  }

  // The answering member's version, its leader's id ("0": none) and its alarms/errors.
  async status(): Promise<{ version: string; leader: string; errors: string[] }> {
    const r = (await this.call('/v3/maintenance/status', {})) as { version?: string; leader?: string; errors?: string[] };
    return { version: r.version ?? '?', leader: r.leader ?? '0', errors: r.errors ?? [] };
  }

  // How many keys lie under `prefix/` (a read of the prefix: refused without the permission).
  async count(prefix: string): Promise<number> {
    const r = (await this.call('/v3/kv/range', { key: b64(`${prefix}/`), range_end: b64(`${prefix}0`), count_only: true })) as { count?: string };
    return Number(r.count ?? 0);
  }

  // Seconds the lease has left on etcd (-1: gone).
  async timeToLive(id: string): Promise<number> {
    const r = (await this.call('/v3/lease/timetolive', { ID: id })) as { TTL?: string };
    return Number(r.TTL ?? -1);
  }

  // One call: each endpoint in turn (the last good one first) until one answers.
  private async call(path: string, body: unknown): Promise<unknown> {
    const n = this.o.endpoints.length;
    const errors: string[] = [];
    for (let i = 0; i < n; i++) {
      const at = (this.preferred + i) % n;
      const endpoint = this.o.endpoints[at] ?? '';
      const h = this.health[at];
      try {
        const answer = await this.callOne(endpoint, path, body, true);
        this.preferred = at;
        if (h) Object.assign(h, { ok: true, at: new Date().toISOString(), error: undefined });
        return answer;
      } catch (err) {
        const e = err instanceof EtcdError ? err : new EtcdError(String(err), true);
        if (!e.unreachable) {
          if (h) Object.assign(h, { ok: true, at: new Date().toISOString(), error: undefined });
          throw e;
        }
        if (h) Object.assign(h, { ok: false, at: new Date().toISOString(), error: e.message });
        errors.push(`${endpoint}: ${e.message}`);
      }
    }
    throw new EtcdError(`no etcd endpoint answers (${errors.join('; ')})`, true);
  }

  private async callOne(endpoint: string, path: string, body: unknown, retryAuth: boolean): Promise<unknown> {
    if (this.o.auth && this.token === undefined) {
      const r = (await post(endpoint, '/v3/auth/authenticate', { name: this.o.auth.user, password: this.o.auth.password }, this.o)) as { token?: string };
      this.token = r.token;
    }
    try {
      return await post(endpoint, path, body, this.o, this.token);
    } catch (err) {
      // An expired or unknown token: authenticate again, once.
      if (retryAuth && this.o.auth && err instanceof EtcdError && !err.unreachable && /token/i.test(err.message)) {
        this.token = undefined;
        return this.callOne(endpoint, path, body, false);
      }
      throw err;
    }
  }
}

function toKv(kv: RawKv): KeyValue {
  return { value: unb64(kv.value), lease: kv.lease ?? '0', createRevision: kv.create_revision ?? '0', modRevision: kv.mod_revision ?? '0' };
}

// One POST with a hard deadline (connect, send, answer). A 2xx answers JSON; etcd's errors come
// as {"error": ..., "code": n} with a non-2xx status.
function post(endpoint: string, path: string, body: unknown, o: EtcdOptions, token?: string): Promise<unknown> {
  const url = new URL(path, endpoint);
  const data = JSON.stringify(body);
  const https = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...(token ? { authorization: token } : {}) },
        timeout: o.timeoutMs,
        agent: false,
        ...(https ? (o.tls ?? {}) : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new EtcdError(err.message, true)));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString();
          let json: { error?: string; message?: string } & Record<string, unknown>;
          try {
            json = JSON.parse(text.split('\n')[0] || '{}');
          } catch {
            reject(new EtcdError(`${path}: HTTP ${res.statusCode}: not JSON: ${text.slice(0, 200)}`, (res.statusCode ?? 0) >= 500));
            return;
          }
          if ((res.statusCode ?? 0) >= 300 || json.error !== undefined) {
            const msg = String(json.message ?? json.error ?? `HTTP ${res.statusCode}`);
            // "etcdserver: request timed out" / "no leader": this member cannot serve; try another.
            reject(new EtcdError(`${path}: ${msg}`, /no leader|timed out|unavailable|not capable/i.test(msg)));
            return;
          }
          resolve(json);
        });
      },
    );
    // NOTE: the socket timeout is idle time only; this bounds the whole call.
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${o.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new EtcdError(err.code ?? err.message, true));
    });
    req.end(data);
  });
}

// The client a quorum config asks for (certificates and the password read once, at start).
export function etcdFromConfig(q: {
  endpoints: string[];
  'request-timeout-ms': number;
  tls?: { 'ca-file'?: string | undefined; 'cert-file'?: string | undefined; 'key-file'?: string | undefined } | undefined;
  auth?: { user: string; 'password-file': string } | undefined;
}): EtcdClient {
  const read = (path: string, key: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new UsageError(`ha.quorum.${key} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const t = q.tls;
  const tls = t && {
    ...(t['ca-file'] ? { ca: read(t['ca-file'], 'tls.ca-file') } : {}),
    ...(t['cert-file'] ? { cert: read(t['cert-file'], 'tls.cert-file') } : {}),
    ...(t['key-file'] ? { key: read(t['key-file'], 'tls.key-file') } : {}),
  };
  const auth = q.auth && { user: q.auth.user, password: read(q.auth['password-file'], 'auth.password-file').toString().trim() };
  return new EtcdClient({ endpoints: q.endpoints, timeoutMs: q['request-timeout-ms'], ...(tls ? { tls } : {}), ...(auth ? { auth } : {}) });
}
