import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../util/atomic.js';
import type { Logger } from '../util/log.js';
import { leaseTiming } from './budget.js';
import { type EtcdClient, EtcdError, type KeyValue } from './etcd.js';

// What the reconcile loop asks before it starts a MASTER's programs.
export type Gate = { ok: true } | { ok: false; why: string; freeze: boolean };

export interface WitnessOptions {
  etcd: EtcdClient;
  node: string;
  prefix: string;
  ttlMs: number;
  policy: 'stop' | 'freeze';
  acquireWaitMs: number;
  // This host's id (created once, kept across agent starts): an owner key naming this node but
  // another host id is another host with the same node name, never a previous agent of ours.
  // Without it, an id for this process only.
  hostIdFile?: string | undefined;
  log: Logger;
  // The set lost (or must give up) the right to run: the loop stops it now.
  lost: (set: string) => void;
  // The key became free for a set that was refused it: the loop looks again (track file 0).
  freed: (set: string) => void;
}

// One set's standing with the witness.
interface SetQuorum {
  set: string;
  key: string;
  // Our lease for the key, while we hold it (or held it and have not given it up yet).
  lease: string | undefined;
  // We hold the key and may run the set (also while frozen).
  holding: boolean;
  // policy freeze and no endpoint answers: keep what runs, start nothing.
  frozen: boolean;
  since: string | undefined;
  // performance.now() at the send of the last renewal etcd confirmed (or of the grant): etcd's
  // lease cannot expire before this + TTL.
  renewSentAt: number;
  lastRenewAt: string | undefined;
  budgetMs: number;
  renewTimer: NodeJS.Timeout | undefined;
  fenceTimer: NodeJS.Timeout | undefined;
  // A MASTER that could not get the key: why (track file 1 until the key is free).
  blocked: string | undefined;
  pollTimer: NodeJS.Timeout | undefined;
  // When this MASTER began asking for the key (performance.now()).
  wantedAt: number | undefined;
  holder: { node: string; since: string } | undefined;
  fences: number;
  lastError: string | undefined;
  // The loop saw none of the set's programs running here since the key was last ours.
  down: boolean;
  // releaseStale() has looked (once per agent start).
  staleChecked: boolean;
  // The stop budget that was found too long for the TTL (logged once per budget).
  tooShort: string | undefined;
  tooShortBudget: number | undefined;
  // A key this node must not remove (no lease, another host of the same name): logged once.
  foreignLogged: string | undefined;
}

// Value of a set's owner key.
interface Owner {
  node: string;
  // The host id (hostIdFile); absent in keys written before it existed: treated as another host's.
  host?: string | undefined;
  since: string;
}

const POLL_MS = 100;
const RETRY_MS = 25;
const RETRY_MAX_MS = 200;

// The quorum witness: per set, a key <prefix>/sets/<set>/owner bound to a lease of ours decides
// whether this node may run the set. keepalived decides who wants it; this decides who may.
export class Witness {
  private readonly sets = new Map<string, SetQuorum>();
  private stopped = false;
  private readonly ttlSec: number;
  private host: string | undefined;

  constructor(private readonly o: WitnessOptions) {
    this.ttlSec = Math.ceil(o.ttlMs / 1000);
  }

  private of(set: string): SetQuorum {
    let q = this.sets.get(set);
    if (!q) {
      q = {
        set,
        key: `${this.o.prefix}/sets/${set}/owner`,
        lease: undefined,
        holding: false,
        frozen: false,
        since: undefined,
        renewSentAt: 0,
        lastRenewAt: undefined,
        budgetMs: 0,
        renewTimer: undefined,
        fenceTimer: undefined,
        blocked: undefined,
        pollTimer: undefined,
        wantedAt: undefined,
        holder: undefined,
        fences: 0,
        lastError: undefined,
        down: false,
        staleChecked: false,
        tooShort: undefined,
        tooShortBudget: undefined,
        foreignLogged: undefined,
      };
      this.sets.set(set, q);
    }
    return q;
  }

  // Whether the set may run here (the key is ours; frozen counts: what runs keeps running).
  holding(set: string): boolean {
    return this.of(set).holding;
  }

  // Why a MASTER of the set is refused (track file 1), or undefined.
  blocked(set: string): string | undefined {
    // NOTE: a frozen holder stays healthy: moving the VIP would help no one (no node can get a key).
    return this.of(set).blocked;
  }

  // A MASTER's pass asks before it starts anything. The caller has stopped the set's programs if
  // it did not hold the key. Waits up to acquire-wait-ms for the key (the old holder stopping,
  // then releasing); after that the set is blocked until the key is free.
  // `adopt`: the set's programs still run here under a hold (across an agent restart): a key this
  // node's previous agent left is taken over (revoked, then taken again) rather than waited out.
  async mayRun(set: string, budgetMs: number, signal: AbortSignal, opts: { adopt?: boolean } = {}): Promise<Gate> {
    const q = this.of(set);
    q.budgetMs = budgetMs;
    if (q.holding && q.frozen) return { ok: false, why: 'no quorum (policy freeze): keeps what runs, starts nothing', freeze: true };
    if (q.holding) return { ok: true };
    if (opts.adopt && !q.staleChecked) await this.releaseStale(q);
    if (q.blocked) return { ok: false, why: q.blocked, freeze: false };
    q.wantedAt ??= performance.now();
    let wait = RETRY_MS;
    for (;;) {
      const why = await this.acquire(q);
      if (why === undefined) return { ok: true };
      if (signal.aborted || this.stopped) return { ok: false, why, freeze: false };
      if (performance.now() - q.wantedAt >= this.o.acquireWaitMs) {
        this.block(q, why);
        return { ok: false, why, freeze: false };
      }
      await sleep(wait, undefined, { signal }).catch(() => {});
      wait = Math.min(2 * wait, RETRY_MAX_MS);
    }
  }

  // The set's programs are stopped (a non-MASTER's pass, or a pass without the key): the key is
  // given up at once so the peer need not wait for the TTL.
  async release(set: string): Promise<void> {
    const q = this.of(set);
    const lease = q.lease;
    const had = q.holding;
    this.clearLease(q);
    q.down = true;
    if (lease === undefined) {
      if (!q.staleChecked) await this.releaseStale(q);
      return;
    }
    try {
      await this.o.etcd.revoke(lease);
      this.o.log.info({ set, lease }, `quorum ${set}: key released${had ? '' : ' (after fencing)'}`);
    } catch (err) {
      this.o.log.warn({ set, err: (err as Error).message }, `quorum ${set}: release failed, the lease expires on its own`);
    }
  }

  // Once per agent start, with the set down here: a key this node's previous agent left (killed,
  // its lease still running) is given up, so the peer need not wait out its TTL.
  private async releaseStale(q: SetQuorum): Promise<void> {
    try {
      const kv = await this.o.etcd.get(q.key);
      q.staleChecked = true;
      if (kv && q.lease === undefined) await this.clearStale(q, kv);
    } catch (err) {
      this.failed(q, err);
    }
  }

  // A key held by no live agent of this host, with the set down here (q.down): one a previous
  // agent of this host left (its lease revoked), or one bound to no lease that names this node
  // (deleted if unchanged: it would never expire). True when it is gone. Anything else (another
  // host, even one with our node name; a lease-less key naming another node) is left alone and
  // said once.
  private async clearStale(q: SetQuorum, kv: KeyValue): Promise<boolean> {
    if (!q.down) return false;
    const owner = parseOwner(kv.value);
    const host = await this.hostId();
    if (kv.lease === '0') {
      if (owner?.node !== this.o.node) {
        this.foreign(
          q,
          `the key ${q.key} is bound to no lease and names ${owner?.node ?? 'no node'}: it never expires; no node takes the set until it is deleted (etcdctl del ${q.key})`,
        );
        return false;
      }
      const gone = await this.o.etcd.deleteIfUnchanged(q.key, kv.modRevision);
      if (gone)
        this.o.log.warn({ set: q.set, key: q.key }, `quorum ${q.set}: deleted the key naming this node bound to no lease (an etcdctl put or a restore?)`);
      return gone;
    }
    if (owner?.node !== this.o.node) return false;
    if (owner.host !== host) {
      this.foreign(
        q,
        `the key ${q.key} names this node (${this.o.node}) but another host (${owner.host ?? 'no host id'}) holds it: two hosts use the same node name? It is left to expire on its own`,
      );
      return false;
    }
    await this.o.etcd.revoke(kv.lease);
    this.o.log.warn({ set: q.set, lease: kv.lease }, `quorum ${q.set}: released the key a previous agent of this node left`);
    return true;
  }

  private foreign(q: SetQuorum, why: string): void {
    if (q.foreignLogged !== why) this.o.log.error({ set: q.set, key: q.key }, `quorum ${q.set}: ${why}`);
    q.foreignLogged = why;
  }

  // This host's id: read from hostIdFile, created there once.
  private async hostId(): Promise<string> {
    if (this.host !== undefined) return this.host;
    const file = this.o.hostIdFile;
    let id = '';
    if (file) {
      id = await readFile(file, 'utf8').then(
        (t) => t.trim(),
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return '';
          throw new Error(`${file}: ${err.code ?? err.message}`);
        },
      );
      if (!/^[0-9a-f]{16}$/.test(id)) {
        id = randomBytes(8).toString('hex');
        await writeFileAtomic(file, `${id}\n`);
      }
    } else id = randomBytes(8).toString('hex');
    this.host = id;
    return id;
  }

  // The MASTER episode is over (the role left MASTER): the next one waits for the key afresh.
  notWanted(set: string): void {
    const q = this.of(set);
    q.wantedAt = undefined;
  }

  // Tries once to take the key; undefined when taken, else why not (the caller tries again).
  private async acquire(q: SetQuorum): Promise<string | undefined> {
    let lease: string;
    let host: string;
    let sentAt: number;
    try {
      host = await this.hostId();
      sentAt = performance.now();
      lease = (await this.o.etcd.grant(this.ttlSec)).id;
    } catch (err) {
      return this.failed(q, err);
    }
    const since = new Date().toISOString();
    try {
      const r = await this.o.etcd.createIfAbsent(q.key, JSON.stringify({ node: this.o.node, host, since } satisfies Owner), lease);
      if (r.created) {
        q.lease = lease;
        q.holding = true;
        q.down = false;
        q.frozen = false;
        q.since = since;
        q.holder = { node: this.o.node, since };
        q.blocked = undefined;
        q.lastError = undefined;
        this.renewed(q, sentAt);
        this.o.log.info({ set: q.set, lease, key: q.key }, `quorum ${q.set}: key taken`);
        return undefined;
      }
      void this.o.etcd.revoke(lease).catch(() => {});
      const owner = parseOwner(r.held?.value);
      q.holder = owner;
      // A key of this host's previous agent (killed; its programs were stopped before this call),
      // or one bound to no lease naming this node: removed, the caller tries again.
      if (r.held && (await this.clearStale(q, r.held))) return 'a stale key was removed: trying again';
      return heldBy(owner, r.held);
    } catch (err) {
      void this.o.etcd.revoke(lease).catch(() => {});
      return this.failed(q, err);
    }
  }

  private failed(q: SetQuorum, err: unknown): string {
    // Not an EtcdError: the host id file (its path in the message).
    const msg =
      err instanceof EtcdError ? (err.unreachable ? 'no etcd endpoint answers' : `etcd: ${err.message}`) : `ha.quorum.host-id-file: ${(err as Error).message}`;
    if (q.lastError !== msg) this.o.log.warn({ set: q.set, err: (err as Error).message }, `quorum ${q.set}: ${msg}`);
    q.lastError = msg;
    return msg;
  }

  // A confirmed renewal (or the grant) sent at `sentAt`: schedules the next one and the fence.
  private renewed(q: SetQuorum, sentAt: number): void {
    q.renewSentAt = sentAt;
    q.lastRenewAt = new Date().toISOString();
    const t = leaseTiming(this.o.ttlMs, q.budgetMs);
    // A registry pushed after the agent started may hold programs that stop slower than the TTL
    // allows (agent start and config check refuse it): the holder keeps running, fences at TTL/2
    // (two renewals missed), when its stop may outlast the lease by overMs. Said once per budget.
    q.tooShort = t.tooShort
      ? `lease-ttl-ms ${this.o.ttlMs} is too short for the set's stopwaitsecs (stop budget ${q.budgetMs} ms): if fenced, the stop may outlast the lease by ${t.overMs} ms (run supha config check)`
      : undefined;
    if (q.tooShort && q.tooShortBudget !== q.budgetMs)
      this.o.log.error({ set: q.set, ttlMs: this.o.ttlMs, budgetMs: q.budgetMs }, `quorum ${q.set}: ${q.tooShort}`);
    q.tooShortBudget = q.tooShort ? q.budgetMs : undefined;
    clearTimeout(q.fenceTimer);
    q.fenceTimer = setTimeout(() => this.fence(q), Math.max(0, sentAt + t.fenceAfterMs - performance.now()));
    clearTimeout(q.renewTimer);
    q.renewTimer = setTimeout(() => void this.renew(q), Math.max(0, sentAt + t.renewMs - performance.now()));
  }

  private async renew(q: SetQuorum): Promise<void> {
    const lease = q.lease;
    if (lease === undefined || this.stopped) return;
    const sentAt = performance.now();
    try {
      const ttl = await this.o.etcd.keepalive(lease);
      if (q.lease !== lease) return;
      if (ttl <= 0) {
        this.lose(q, 'the lease expired on etcd');
        return;
      }
      const wasFrozen = q.frozen;
      q.frozen = false;
      q.lastError = undefined;
      this.renewed(q, sentAt);
      if (wasFrozen) {
        this.o.log.info({ set: q.set }, `quorum ${q.set}: etcd answers again, the lease held: unfrozen`);
        // The loop looks at once: programs that stopped while frozen start again.
        this.o.freed(q.set);
      }
    } catch (err) {
      if (q.lease !== lease) return;
      const msg = this.failed(q, err);
      // Frozen only while no endpoint answers: etcd answering with an error (auth, permission)
      // is no reason to keep running without a lease.
      if (q.frozen && !(err instanceof EtcdError && err.unreachable)) {
        this.lose(q, `frozen, and etcd now answers but refuses the renewal (${msg})`);
        return;
      }
      const t = leaseTiming(this.o.ttlMs, q.budgetMs);
      // Try again soon; the fence timer stands.
      clearTimeout(q.renewTimer);
      q.renewTimer = setTimeout(() => void this.renew(q), Math.max(RETRY_MS, Math.floor(t.renewMs / 2)));
    }
  }

  // The last renewal is too old: stop the set before the lease can expire (policy stop), or keep
  // it and start nothing (policy freeze, only while no endpoint answers).
  private fence(q: SetQuorum): void {
    if (!q.holding || this.stopped) return;
    const age = Math.round(performance.now() - q.renewSentAt);
    if (this.o.policy === 'freeze' && q.lastError === 'no etcd endpoint answers') {
      if (!q.frozen) this.o.log.error({ set: q.set, age }, `quorum ${q.set}: no renewal for ${age} ms and no etcd endpoint answers: frozen (policy freeze)`);
      q.frozen = true;
      this.o.lost(q.set);
      return;
    }
    this.lose(q, `no renewal for ${age} ms (${q.lastError ?? 'etcd did not answer'}): fencing`);
  }

  private lose(q: SetQuorum, why: string): void {
    this.o.log.error({ set: q.set, lease: q.lease }, `quorum ${q.set}: ${why}; stopping the set`);
    q.holding = false;
    q.frozen = false;
    q.fences++;
    clearTimeout(q.fenceTimer);
    clearTimeout(q.renewTimer);
    this.block(q, `lost the key: ${why}`);
    this.o.lost(q.set);
  }

  // Refused: the track file says 1 until the key is seen free (then the loop looks again).
  private block(q: SetQuorum, why: string): void {
    if (q.blocked === undefined) this.o.log.warn({ set: q.set }, `quorum ${q.set}: MASTER, waiting for quorum (${why}): track file 1`);
    q.blocked = why;
    if (q.pollTimer) return;
    const poll = async () => {
      q.pollTimer = undefined;
      if (this.stopped || q.blocked === undefined) return;
      try {
        const kv = await this.o.etcd.get(q.key);
        const owner = parseOwner(kv?.value);
        q.holder = owner;
        // Our own old key (fenced, or a previous agent's) is released only once the set is down
        // here, which release() does; until then it is ours to wait out.
        if (kv === undefined || (await this.clearStale(q, kv))) {
          q.blocked = undefined;
          q.wantedAt = undefined;
          q.lastError = undefined;
          this.o.log.info({ set: q.set }, `quorum ${q.set}: the key is free`);
          this.o.freed(q.set);
          return;
        }
        q.blocked = heldBy(owner, kv);
      } catch (err) {
        q.blocked = this.failed(q, err);
      }
      q.pollTimer = setTimeout(() => void poll(), POLL_MS);
    };
    q.pollTimer = setTimeout(() => void poll(), POLL_MS);
  }

  private clearLease(q: SetQuorum): void {
    clearTimeout(q.fenceTimer);
    clearTimeout(q.renewTimer);
    q.lease = undefined;
    q.holding = false;
    q.frozen = false;
    q.since = undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const q of this.sets.values()) {
      clearTimeout(q.fenceTimer);
      clearTimeout(q.renewTimer);
      clearTimeout(q.pollTimer);
    }
  }

  // Per set: holder, lease remaining, last renewal; and each endpoint's health.
  status(): QuorumStatus {
    const now = performance.now();
    const sets: Record<string, QuorumSetStatus> = {};
    for (const q of this.sets.values()) {
      const state = q.frozen ? 'frozen' : q.holding ? 'held' : q.blocked ? 'waiting' : 'free';
      sets[q.set] = {
        state,
        key: q.key,
        holder: q.holding ? this.o.node : (q.holder?.node ?? null),
        since: q.holding ? (q.since ?? null) : (q.holder?.since ?? null),
        leaseRemainingMs: q.holding ? Math.max(0, Math.round(q.renewSentAt + this.o.ttlMs - now)) : null,
        lastRenewalAt: q.lastRenewAt ?? null,
        waiting: q.blocked ?? null,
        fences: q.fences,
        lastError: q.lastError ?? null,
        ttlTooShort: q.tooShort ?? null,
      };
    }
    return { node: this.o.node, ttlMs: this.o.ttlMs, policy: this.o.policy, endpoints: this.o.etcd.health, sets };
  }
}

export interface QuorumSetStatus {
  state: 'held' | 'frozen' | 'waiting' | 'free';
  key: string;
  holder: string | null;
  since: string | null;
  leaseRemainingMs: number | null;
  lastRenewalAt: string | null;
  waiting: string | null;
  fences: number;
  lastError: string | null;
  // The set's stop budget does not fit the TTL (a registry pushed after the agent started).
  ttlTooShort: string | null;
}

export interface QuorumStatus {
  node: string;
  ttlMs: number;
  policy: 'stop' | 'freeze';
  endpoints: EtcdClient['health'];
  sets: Record<string, QuorumSetStatus>;
}

function heldBy(owner: Owner | undefined, kv: KeyValue | undefined): string {
  const who = `held by ${owner?.node ?? 'another node'}${owner?.since ? ` since ${owner.since}` : ''}`;
  return kv?.lease === '0' ? `${who}, bound to no lease (it never expires: etcdctl del it)` : who;
}

export function parseOwner(value: string | undefined): Owner | undefined {
  if (value === undefined) return undefined;
  try {
    const o = JSON.parse(value) as Partial<Owner>;
    return typeof o.node === 'string' ? { node: o.node, host: typeof o.host === 'string' ? o.host : undefined, since: String(o.since ?? '') } : undefined;
  } catch {
    return { node: value, since: '' };
  }
}
