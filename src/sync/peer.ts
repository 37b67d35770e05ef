import type { AlertFn } from '../alert/index.js';
import { errorMessage } from '../errors.js';
import type { MetricsRecorder } from '../metrics/index.js';
import type { Logger } from '../util/log.js';
import { backoffMs, SerialRunner } from './debounce.js';
import { decide } from './generation.js';
import type { Generation, Manifest } from './manifest.js';
import { peerRole } from './role-check.js';
import { fetchPeerManifest, historyStamp, type PushMode, type PushTarget, pushRegistry } from './rsync.js';

export type PeerState = 'in-sync' | 'pending' | 'pushing' | 'retrying' | 'split-brain' | 'refused' | 'paused' | 'not-master';

export interface PeerStatus {
  peer: string;
  target: string;
  state: PeerState;
  // The newest push attempt, whatever its outcome.
  lastPush: { at: string; ok: boolean; durationMs: number } | null;
  lastSuccessAt: string | null;
  // How long the oldest change not yet on the peer has waited (0: nothing waits).
  lagMs: number;
  failures: number;
  nextRetryAt: string | null;
  lastError: { at: string; message: string } | null;
  splitBrain: { since: string; peerNode?: string | undefined } | null;
  // The last push's mode and why (additive: the peer's agent did not confirm BACKUP, or the peer
  // never had the set).
  mode: { mode: PushMode; why: string } | null;
  // Why pushes are refused (peer newer or diverged, empty registry here), since when.
  refused: { since: string; reason: string } | null;
  generation: { local: Generation | null; peer: Generation | null };
}

export interface PeerPusherOptions {
  set: string;
  // This node's name (in history stamps).
  node: string;
  peer: string;
  registry: string;
  target: PushTarget;
  agentUrl?: string | undefined;
  token?: string | undefined;
  debounceMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  roleCheckTimeoutMs: number;
  isMaster: () => boolean;
  isPaused: () => boolean;
  // The registry's generation now (the MASTER's agent advances it on every change).
  advance: () => Promise<Manifest | undefined>;
  // The registry's confs in supzcli's parked store (a push emptying the peer needs them there).
  parked?: (() => Promise<ReadonlySet<string>>) | undefined;
  log: Logger;
  // ha.alert-command and /metrics (from the agent's context).
  alert?: AlertFn | undefined;
  metrics?: MetricsRecorder | undefined;
}

// Roles of a peer that confirm it does not run the set (keepalived's BACKUP, FAULT or STOP).
const CONFIRMED = new Set(['BACKUP', 'FAULT', 'STOP']);

// Pushes one set's registry to one peer: bursts collapse, never two pushes at once, one more after
// a push if changes came in meanwhile; failures back off; a peer agent that also claims MASTER
// (split brain) gets nothing until one side yields.
export class PeerPusher {
  private readonly runner: SerialRunner;
  private pendingSince: number | undefined;
  // The oldest change the push in flight carries (still lag until it lands).
  private carrying: number | undefined;
  private failures = 0;
  private notBefore = 0;
  private abort: AbortController | undefined;
  private last: Omit<PeerStatus, 'peer' | 'target' | 'state' | 'lagMs' | 'failures' | 'nextRetryAt'> = {
    lastPush: null,
    lastSuccessAt: null,
    lastError: null,
    splitBrain: null,
    mode: null,
    refused: null,
    generation: { local: null, peer: null },
  };

  constructor(private readonly o: PeerPusherOptions) {
    this.runner = new SerialRunner(
      () => this.pushOnce(),
      () => Math.max(o.debounceMs, this.notBefore - Date.now()),
      (err) => o.log.error({ err, set: o.set, peer: o.peer }, 'push crashed'),
    );
  }

  // The registry changed, or a full push is due (start, became MASTER, resume). Every push sends
  // the whole folder, so a peer that comes back catches up with the next one.
  changed(): void {
    if (!this.o.isMaster()) return;
    this.pendingSince ??= Date.now();
    this.runner.request();
  }

  // An operator settled a refusal (adopt): try again now, not after the backoff.
  retryNow(): void {
    this.notBefore = 0;
    this.changed();
  }

  // No longer MASTER: stop a running push, forget what waited.
  demoted(): void {
    this.abort?.abort();
    this.pendingSince = undefined;
    this.failures = 0;
    this.notBefore = 0;
    this.last.splitBrain = null;
    this.last.refused = null;
  }

  idle(): Promise<void> {
    return this.runner.idle();
  }

  stop(): Promise<void> {
    this.abort?.abort();
    return this.runner.stop();
  }

  status(): PeerStatus {
    const { o } = this;
    let state: PeerState = 'in-sync';
    if (!o.isMaster()) state = 'not-master';
    else if (o.isPaused()) state = 'paused';
    else if (this.last.refused) state = 'refused';
    else if (this.runner.busy) state = 'pushing';
    else if (this.last.splitBrain) state = 'split-brain';
    else if (this.failures > 0) state = 'retrying';
    else if (this.pendingSince !== undefined) state = 'pending';
    // While retrying, when the next push is due (now, once the backoff has passed and the timer has
    // not fired yet: a loaded host can take a while).
    const retryAt = state === 'retrying' ? Math.max(this.notBefore, Date.now()) : undefined;
    return {
      peer: o.peer,
      target: o.target.target,
      state,
      ...this.last,
      lagMs: Date.now() - Math.min(this.pendingSince ?? Date.now(), this.carrying ?? Date.now()),
      failures: this.failures,
      nextRetryAt: retryAt === undefined ? null : new Date(retryAt).toISOString(),
    };
  }

  private async pushOnce(): Promise<void> {
    const { o } = this;
    if (!o.isMaster()) {
      this.demoted();
      return;
    }
    // Paused: the change waits (pendingSince stays) until resume asks again.
    if (o.isPaused() || this.pendingSince === undefined) return;
    const waitingSince = this.pendingSince;
    this.pendingSince = undefined;
    this.carrying = waitingSince;
    try {
      await this.attempt(waitingSince);
    } finally {
      this.carrying = undefined;
    }
  }

  private async attempt(waitingSince: number): Promise<void> {
    const { o } = this;
    const at = new Date().toISOString();

    this.abort = new AbortController();
    const signal = this.abort.signal;
    let local: Manifest | undefined;
    try {
      local = await o.advance();
    } catch (err) {
      // A manifest that is a folder, a registry we cannot read: the change waits, retried.
      return this.failed(waitingSince, at, `recording the generation: ${errorMessage(err)}`, 0);
    }
    const peer = await fetchPeerManifest(o.set, o.target, o.token, { timeoutMs: o.timeoutMs, signal });
    if (!o.isMaster()) return this.demoted();
    if (peer.kind === 'error') return this.failed(waitingSince, at, peer.error, 0);
    if (peer.kind === 'bad') return this.refuse(waitingSince, at, `${peer.why}; not pushed (supha sync diff ${o.set})`);
    // The peer's role last, right before the push: the window for it to change is the push itself.
    const role = await this.checkRole();
    if (!o.isMaster()) return this.demoted();
    if (role.refuse) return this.failed(waitingSince, at, role.refuse, 0);
    const theirs = peer.kind === 'ok' ? peer.manifest : undefined;
    const gen = (m: Manifest | undefined) => (m ? { counter: m.counter, hash: m.hash } : null);
    this.last.generation = { local: gen(local), peer: gen(theirs) };
    const emptying = local !== undefined && Object.keys(local.files).length === 0 && Object.keys(theirs?.files ?? {}).length > 0;
    const parked = emptying ? await o.parked?.().catch(() => undefined) : undefined;
    const d = decide(o.set, o.peer, local, theirs, role.unconfirmed, parked);
    if (d.push === 'refuse') return this.refuse(waitingSince, at, d.why);
    if (this.last.refused) o.log.warn({ set: o.set, peer: o.peer }, 'replication no longer refused');
    this.last.refused = null;
    if (d.push === 'none') {
      this.succeeded(at, 0);
      return;
    }
    if (this.last.mode?.mode !== d.push || this.last.mode.why !== d.why) {
      const log = d.push === 'full' ? o.log.debug.bind(o.log) : o.log.warn.bind(o.log);
      log({ set: o.set, peer: o.peer, mode: d.push, why: d.why }, `pushes to ${o.peer}: ${d.push}`);
    }
    this.last.mode = { mode: d.push, why: d.why };

    const res = await pushRegistry(o.registry, o.set, o.target, { timeoutMs: o.timeoutMs, signal, mode: d.push, stamp: historyStamp(o.node) });
    this.abort = undefined;
    if (!o.isMaster()) return this.demoted();
    if (!res.ok) return this.failed(waitingSince, at, res.error ?? 'push failed', res.durationMs);
    this.succeeded(at, res.durationMs);
    if (res.vanished) this.changed();
  }

  private succeeded(at: string, durationMs: number): void {
    const { o } = this;
    this.last.lastPush = { at, ok: true, durationMs: Math.round(durationMs) };
    o.metrics?.push(o.set, o.peer, true);
    this.last.lastSuccessAt = at;
    if (this.failures > 0) o.log.info({ set: o.set, peer: o.peer, failures: this.failures }, 'peer caught up');
    this.failures = 0;
    this.notBefore = 0;
    o.log.debug({ set: o.set, peer: o.peer, ms: Math.round(durationMs) }, 'pushed');
  }

  // A push that would lose confs: alarm once per reason, retry with backoff (an operator's adopt,
  // or the peer catching up, settles it).
  private refuse(waitingSince: number, at: string, reason: string): void {
    const { o } = this;
    if (this.last.refused?.reason !== reason) {
      o.log.error({ set: o.set, peer: o.peer, why: reason }, `REPLICATION REFUSED: ${reason}`);
      o.alert?.({ kind: 'push-refused', summary: `REPLICATION REFUSED: set ${o.set} to ${o.peer}: ${reason}`, set: o.set, peer: o.peer, reason });
      this.last.refused = { since: at, reason };
    }
    this.failed(waitingSince, at, reason, 0);
  }

  // Asks the peer's agent for its role: MASTER refuses the push (split brain); anything but a
  // confirmed answer that it is not MASTER (no agent-url, unreachable, 401, 404) limits it to adding.
  private async checkRole(): Promise<{ refuse?: string; unconfirmed?: string }> {
    const { o } = this;
    if (!o.agentUrl) return { unconfirmed: `no agent-url for ${o.peer}, so no confirmed BACKUP` };
    const r = await peerRole(o.agentUrl, o.set, o.token, o.roleCheckTimeoutMs);
    if (r.kind === 'role' && r.role === 'MASTER') {
      const first = this.last.splitBrain === null;
      this.last.splitBrain ??= { since: new Date().toISOString(), peerNode: r.node };
      const msg = `split brain: peer ${o.peer}${r.node ? ` (${r.node})` : ''} also claims MASTER of set ${o.set}; push refused`;
      if (first) {
        o.log.error({ set: o.set, peer: o.peer, peerNode: r.node }, `SPLIT BRAIN: ${msg}`);
        o.alert?.({ kind: 'split-brain', summary: `SPLIT BRAIN: ${msg}`, set: o.set, peer: o.peer, peerNode: r.node });
      }
      return { refuse: msg };
    }
    if (this.last.splitBrain) o.log.warn({ set: o.set, peer: o.peer, role: r.kind === 'role' ? r.role : r.kind }, 'split brain over: peer yields');
    this.last.splitBrain = null;
    if (r.kind !== 'role') return { unconfirmed: `peer agent ${r.kind} (${r.error})` };
    if (!CONFIRMED.has(r.role)) return { unconfirmed: `peer agent says ${r.role} for ${o.set}, not BACKUP` };
    return {};
  }

  private failed(waitingSince: number, at: string, message: string, durationMs: number): void {
    const { o } = this;
    this.abort = undefined;
    this.pendingSince = Math.min(waitingSince, this.pendingSince ?? waitingSince);
    this.failures += 1;
    const wait = backoffMs(this.failures, o.retryMinMs, o.retryMaxMs);
    this.notBefore = Date.now() + wait;
    this.last.lastPush = { at, ok: false, durationMs: Math.round(durationMs) };
    o.metrics?.push(o.set, o.peer, false);
    this.last.lastError = { at, message };
    if (!this.last.splitBrain && !this.last.refused)
      o.log.warn({ set: o.set, peer: o.peer, failures: this.failures, retryInMs: wait, why: message }, 'push failed');
    this.runner.request();
  }
}
