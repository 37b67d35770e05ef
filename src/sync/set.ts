import type { FSWatcher } from 'chokidar';
import type { Role } from '../agent/module.js';
import type { AlertFn } from '../alert/index.js';
import { errorMessage } from '../errors.js';
import type { SupervisorClient } from '../supervisor/index.js';
import type { Logger } from '../util/log.js';
import { type ApplyResult, applyRegistry, type Rejected } from './apply.js';
import { backoffMs, SerialRunner } from './debounce.js';
import { PeerPusher, type PeerPusherOptions, type PeerStatus } from './peer.js';
import { watchRegistry } from './watch.js';

export interface SetStatus {
  role: Role;
  registry: string;
  paused: boolean;
  pausedSince: string | null;
  rejected: Rejected[];
  lastApply: (ApplyResult & { error?: string }) | null;
  peers: PeerStatus[];
}

export interface SetSyncOptions {
  set: string;
  registry: string;
  client: SupervisorClient;
  log: Logger;
  roleOf: () => Role;
  isPaused: () => boolean;
  pausedSince: () => string | undefined;
  debounceMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  settleMs: number;
  peers: Omit<PeerPusherOptions, 'set' | 'registry' | 'isMaster' | 'isPaused' | 'log'>[];
  alert?: AlertFn | undefined;
}

// One service set: watches its registry; on a change, pushes it to every peer (when MASTER) and
// makes the local supervisord match it (the receiving side, on every node).
export class SetSync {
  readonly pushers: PeerPusher[];
  private readonly applier: SerialRunner;
  private watcher: FSWatcher | undefined;
  private known = new Set<string>();
  private lastApply: SetStatus['lastApply'] = null;
  private applyFailures = 0;
  private rejectedKey = '';

  constructor(private readonly o: SetSyncOptions) {
    const isMaster = () => o.roleOf() === 'MASTER';
    this.pushers = o.peers.map((p) => new PeerPusher({ ...p, set: o.set, registry: o.registry, isMaster, isPaused: o.isPaused, log: o.log }));
    this.applier = new SerialRunner(
      () => this.apply(),
      () => Math.max(o.debounceMs, backoffMs(this.applyFailures, o.retryMinMs, o.retryMaxMs)),
    );
  }

  async start(): Promise<void> {
    this.watcher = await watchRegistry(this.o.registry, () => this.changed());
    this.watcher.on('error', (err) => this.o.log.error({ err, set: this.o.set }, 'registry watcher error'));
    this.applier.request();
    this.push();
  }

  // A full push to every peer (each pusher checks MASTER and pause itself).
  push(): void {
    for (const p of this.pushers) p.changed();
  }

  roleChanged(role: Role, previous: Role): void {
    if (role === 'MASTER') this.push();
    else if (previous === 'MASTER') for (const p of this.pushers) p.demoted();
  }

  async idle(): Promise<void> {
    await this.applier.idle();
    await Promise.all(this.pushers.map((p) => p.idle()));
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
    await this.applier.stop();
    await Promise.all(this.pushers.map((p) => p.stop()));
  }

  status(): SetStatus {
    return {
      role: this.o.roleOf(),
      registry: this.o.registry,
      paused: this.o.isPaused(),
      pausedSince: this.o.pausedSince() ?? null,
      rejected: this.lastApply?.rejected ?? [],
      lastApply: this.lastApply,
      peers: this.pushers.map((p) => p.status()),
    };
  }

  private changed(): void {
    this.push();
    this.applier.request();
  }

  private async apply(): Promise<void> {
    const { o } = this;
    try {
      const { result, groups } = await applyRegistry(o.client, o.registry, this.known, { isMaster: () => o.roleOf() === 'MASTER', settleMs: o.settleMs });
      this.known = groups;
      this.lastApply = result;
      this.applyFailures = 0;
      const key = JSON.stringify(result.rejected);
      if (key !== this.rejectedKey && result.rejected.length > 0) {
        for (const r of result.rejected) {
          o.log.error({ set: o.set, file: r.file, group: r.group }, `registry conf refused: ${r.reason}`);
          o.alert?.({
            kind: 'conf-refused',
            summary: `set ${o.set}: registry conf ${r.file} refused: ${r.reason}`,
            set: o.set,
            file: r.file,
            reason: r.reason,
          });
        }
      }
      this.rejectedKey = key;
      const acted = result.added.length + result.changed.length + result.removed.length + result.started.length;
      if (acted > 0 || result.problems.length > 0) {
        const { added, changed, removed, started, problems } = result;
        o.log.info({ set: o.set, added, changed, removed, started, problems }, 'supervisord updated from registry');
      }
    } catch (err) {
      this.applyFailures += 1;
      this.lastApply = { at: new Date().toISOString(), added: [], changed: [], removed: [], started: [], rejected: [], problems: [], error: errorMessage(err) };
      o.log.error({ set: o.set, err: errorMessage(err), failures: this.applyFailures }, 'could not update supervisord from registry; will retry');
      this.applier.request();
    }
  }
}
