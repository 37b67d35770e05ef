import type { AlertFn } from '../alert/index.js';
import type { MetricsRecorder } from '../metrics/index.js';
import type { Logger } from '../util/log.js';
import { backoffMs, SerialRunner } from './debounce.js';
import { peerRole } from './role-check.js';
import { type PushTarget, pushRegistry } from './rsync.js';

export type PeerState = 'in-sync' | 'pending' | 'pushing' | 'retrying' | 'split-brain' | 'paused' | 'not-master';

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
}

export interface PeerPusherOptions {
  set: string;
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
  log: Logger;
  // ha.alert-command and /metrics (from the agent's context).
  alert?: AlertFn | undefined;
  metrics?: MetricsRecorder | undefined;
}

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

  // No longer MASTER: stop a running push, forget what waited.
  demoted(): void {
    this.abort?.abort();
    this.pendingSince = undefined;
    this.failures = 0;
    this.notBefore = 0;
    this.last.splitBrain = null;
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
    else if (this.runner.busy) state = 'pushing';
    else if (this.last.splitBrain) state = 'split-brain';
    else if (this.failures > 0) state = 'retrying';
    else if (this.pendingSince !== undefined) state = 'pending';
    const retrying = this.failures > 0 && this.notBefore > Date.now();
    return {
      peer: o.peer,
      target: o.target.target,
      state,
      ...this.last,
      lagMs: Date.now() - Math.min(this.pendingSince ?? Date.now(), this.carrying ?? Date.now()),
      failures: this.failures,
      nextRetryAt: retrying ? new Date(this.notBefore).toISOString() : null,
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

    const refused = await this.splitBrain();
    if (!o.isMaster()) return this.demoted();
    if (refused) return this.failed(waitingSince, at, refused, 0);

    this.abort = new AbortController();
    const res = await pushRegistry(o.registry, o.set, o.target, { timeoutMs: o.timeoutMs, signal: this.abort.signal });
    this.abort = undefined;
    if (!o.isMaster()) return this.demoted();
    if (!res.ok) return this.failed(waitingSince, at, res.error ?? 'push failed', res.durationMs);

    this.last.lastPush = { at, ok: true, durationMs: Math.round(res.durationMs) };
    o.metrics?.push(o.set, o.peer, true);
    this.last.lastSuccessAt = at;
    if (this.failures > 0) o.log.info({ set: o.set, peer: o.peer, failures: this.failures }, 'peer caught up');
    this.failures = 0;
    this.notBefore = 0;
    o.log.debug({ set: o.set, peer: o.peer, ms: Math.round(res.durationMs) }, 'pushed');
    if (res.vanished) this.changed();
  }

  // Asks the peer's agent for its role; returns why the push is refused, or undefined.
  private async splitBrain(): Promise<string | undefined> {
    const { o } = this;
    if (!o.agentUrl) return undefined;
    const r = await peerRole(o.agentUrl, o.set, o.token, o.roleCheckTimeoutMs);
    if (r.kind === 'role' && r.role === 'MASTER') {
      const first = this.last.splitBrain === null;
      this.last.splitBrain ??= { since: new Date().toISOString(), peerNode: r.node };
      const msg = `split brain: peer ${o.peer}${r.node ? ` (${r.node})` : ''} also claims MASTER of set ${o.set}; push refused`;
      if (first) {
        o.log.error({ set: o.set, peer: o.peer, peerNode: r.node }, `SPLIT BRAIN: ${msg}`);
        o.alert?.({ kind: 'split-brain', summary: `SPLIT BRAIN: ${msg}`, set: o.set, peer: o.peer, peerNode: r.node });
      }
      return msg;
    }
    if (this.last.splitBrain) o.log.warn({ set: o.set, peer: o.peer, role: r.kind === 'role' ? r.role : r.kind }, 'split brain over: peer yields');
    this.last.splitBrain = null;
    if (r.kind !== 'role') o.log.warn({ set: o.set, peer: o.peer, why: r.error }, `peer agent ${r.kind}; pushing anyway`);
    return undefined;
  }

  private failed(waitingSince: number, at: string, message: string, durationMs: number): void {
    const { o } = this;
    this.pendingSince = Math.min(waitingSince, this.pendingSince ?? waitingSince);
    this.failures += 1;
    const wait = backoffMs(this.failures, o.retryMinMs, o.retryMaxMs);
    this.notBefore = Date.now() + wait;
    this.last.lastPush = { at, ok: false, durationMs: Math.round(durationMs) };
    o.metrics?.push(o.set, o.peer, false);
    this.last.lastError = { at, message };
    if (!this.last.splitBrain) o.log.warn({ set: o.set, peer: o.peer, failures: this.failures, retryInMs: wait, why: message }, 'push failed');
    this.runner.request();
  }
}
