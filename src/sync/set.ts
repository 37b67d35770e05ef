import { basename } from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { Role } from '../agent/module.js';
import type { AlertFn } from '../alert/index.js';
import { errorMessage } from '../errors.js';
import { parkedNames } from '../supzcli/park.js';
import type { Logger } from '../util/log.js';
import { type ApplyResult, applyRegistry, type RegistryLoop, type Rejected } from './apply.js';
import { historyAlarm, noteMaster, noteReplica, noteStart, openQuarantine, type Quarantined } from './carry.js';
import { backoffMs, SerialRunner } from './debounce.js';
import { advance } from './generation.js';
import { ensureHistoryDir, pruneHistory, type Retention } from './history.js';
import { type Generation, MANIFEST, type Manifest, readManifest } from './manifest.js';
import { PeerPusher, type PeerPusherOptions, type PeerStatus } from './peer.js';
import { watchRegistry } from './watch.js';

export interface SetStatus {
  role: Role;
  registry: string;
  paused: boolean;
  pausedSince: string | null;
  rejected: Rejected[];
  lastApply: (ApplyResult & { error?: string }) | null;
  // The registry's generation as this node last saw it.
  generation: (Generation & { node: string; time: string }) | null;
  // Confs moved aside at a promotion (in no verified generation), until restored or adopted.
  quarantined: Quarantined[];
  peers: PeerStatus[];
}

export interface SetSyncOptions {
  set: string;
  node: string;
  registry: string;
  token: string | undefined;
  retention: Retention;
  // The agent's reconcile loop: the only one that changes supervisord.
  loop: RegistryLoop;
  log: Logger;
  roleOf: () => Role;
  isPaused: () => boolean;
  pausedSince: () => string | undefined;
  debounceMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  peers: Omit<PeerPusherOptions, 'set' | 'node' | 'registry' | 'isMaster' | 'isPaused' | 'advance' | 'log' | 'parked'>[];
  // supzcli's parked store (state-dir/parked).
  parkedRoot: string;
  // What this node carries across a promotion (src/sync/carry.ts).
  carryPath: string;
  alert?: AlertFn | undefined;
}

// One service set: watches its registry; on a change, pushes it to every peer (when MASTER) and
// makes the local supervisord match it (the receiving side, on every node).
export class SetSync {
  readonly pushers: PeerPusher[];
  private readonly applier: SerialRunner;
  private watcher: FSWatcher | undefined;
  private lastApply: SetStatus['lastApply'] = null;
  private applyFailures = 0;
  // The refused confs last alerted on (one alert per new refusal, not per pass).
  private rejectedKey = '[]';
  // One generation step at a time, a burst of asks collapsed into one step (pushers to several
  // peers and every watcher event ask; each step hashes the whole registry), with its error.
  private readonly advancer: SerialRunner;
  private advanceError: unknown;
  private generation: Manifest | undefined;
  private quarantined: Quarantined[] = [];
  // The last note of the role for the promotion rule (idle() waits for it).
  private noting: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SetSyncOptions) {
    const isMaster = () => o.roleOf() === 'MASTER';
    const adv = () => this.advance();
    this.pushers = o.peers.map(
      (p) =>
        new PeerPusher({
          ...p,
          set: o.set,
          node: o.node,
          registry: o.registry,
          isMaster,
          isPaused: o.isPaused,
          advance: adv,
          parked: () => parkedNames(o.parkedRoot, o.registry),
          log: o.log,
        }),
    );
    this.advancer = new SerialRunner(
      async () => {
        try {
          if (o.roleOf() === 'MASTER') {
            this.generation = await advance(o.registry, o.set, o.node, o.token);
            await noteMaster(o.carryPath, this.generation);
          }
          this.advanceError = undefined;
        } catch (err) {
          this.advanceError = err;
        }
      },
      () => 0,
    );
    this.applier = new SerialRunner(
      () => this.apply(),
      () => Math.max(o.debounceMs, backoffMs(this.applyFailures, o.retryMinMs, o.retryMaxMs)),
    );
  }

  async start(): Promise<void> {
    await noteStart(this.o.carryPath, this.o.registry, this.o.node, this.o.token);
    this.watcher = await watchRegistry(this.o.registry, (file) => this.changed(file));
    this.watcher.on('error', (err) => this.o.log.error({ err, set: this.o.set }, 'registry watcher error'));
    this.applier.request();
    this.push();
  }

  // A full push to every peer (each pusher checks MASTER and pause itself).
  push(): void {
    for (const p of this.pushers) p.changed();
  }

  roleChanged(role: Role, previous: Role): void {
    const { o } = this;
    const noted = (err: unknown) => o.log.error({ err, set: o.set }, 'could not note the role for the promotion rule');
    if (role === 'MASTER') {
      this.noting = readManifest(o.registry, o.token)
        .then((m) => noteMaster(o.carryPath, m))
        .catch(noted);
      this.push();
      return;
    }
    if (previous === 'MASTER') for (const p of this.pushers) p.demoted();
    // UNKNOWN at start says nothing; UNKNOWN after MASTER is a demotion like BACKUP.
    if (role !== 'UNKNOWN' || previous === 'MASTER') this.noting = noteReplica(o.carryPath, o.registry, o.token).catch(noted);
  }

  async idle(): Promise<void> {
    await this.noting;
    await this.applier.idle();
    await Promise.all(this.pushers.map((p) => p.idle()));
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
    await this.applier.stop();
    await Promise.all(this.pushers.map((p) => p.stop()));
    await this.advancer.stop();
  }

  status(): SetStatus {
    return {
      role: this.o.roleOf(),
      registry: this.o.registry,
      paused: this.o.isPaused(),
      pausedSince: this.o.pausedSince() ?? null,
      rejected: this.lastApply?.rejected ?? [],
      lastApply: this.lastApply,
      generation: this.generation
        ? { counter: this.generation.counter, hash: this.generation.hash, node: this.generation.node, time: this.generation.time }
        : null,
      quarantined: this.quarantined,
      peers: this.pushers.map((p) => p.status()),
    };
  }

  private changed(file: string): void {
    // A replica's manifest arriving changes what verifies; on the MASTER it is its own (nothing
    // new) or an operator's adopt: a push settles a refusal now rather than after the backoff.
    if (basename(file) === MANIFEST) {
      if (this.o.roleOf() !== 'MASTER') this.applier.request();
      else {
        for (const p of this.pushers) if (p.status().state === 'refused') p.retryNow();
        openQuarantine(this.o.carryPath, this.o.registry).then(
          (q) => (this.quarantined = q),
          () => {},
        );
      }
      return;
    }
    // The MASTER records every change as a generation, also while paused: a peer that takes over
    // meanwhile then sees this registry as newer and does not push over it.
    if (this.o.roleOf() === 'MASTER') this.advance().catch((err) => this.o.log.error({ err, set: this.o.set }, 'could not record the generation'));
    this.push();
    this.applier.request();
  }

  // The registry's generation now; a successor is written when the MASTER's content changed.
  // Resolves with the generation of a step that began after the call (or its error).
  async advance(): Promise<Manifest | undefined> {
    await this.advancer.requestAndWait();
    if (this.advanceError !== undefined) throw this.advanceError;
    return this.generation;
  }

  private async apply(): Promise<void> {
    const { o } = this;
    try {
      const result = await applyRegistry(o.loop, o.set);
      const role = o.roleOf();
      if (role !== 'MASTER') await noteReplica(o.carryPath, o.registry, o.token, role !== 'UNKNOWN');
      this.quarantined = await openQuarantine(o.carryPath, o.registry);
      // A push's --backup-dir and the promotion's quarantine need it to be a folder.
      await historyAlarm(o, await ensureHistoryDir(o.registry, false).catch(() => undefined));
      await pruneHistory(o.registry, o.retention, Date.now(), await parkedNames(o.parkedRoot, o.registry).catch(() => new Set<string>())).catch((err) =>
        o.log.warn({ err, set: o.set }, 'could not prune the kept history'),
      );
      this.lastApply = result;
      // NOTE: the loop logs what it did (refused confs, groups added and removed).
      this.applyFailures = 0;
      const key = JSON.stringify(result.rejected);
      if (key !== this.rejectedKey)
        for (const r of result.rejected)
          o.alert?.({
            kind: 'conf-refused',
            summary: `set ${o.set}: registry conf ${r.file} refused: ${r.reason}`,
            set: o.set,
            file: r.file,
            reason: r.reason,
          });
      this.rejectedKey = key;
    } catch (err) {
      this.applyFailures += 1;
      this.lastApply = { at: new Date().toISOString(), added: [], changed: [], removed: [], started: [], rejected: [], problems: [], error: errorMessage(err) };
      o.log.error({ set: o.set, err: errorMessage(err), failures: this.applyFailures }, 'could not update supervisord from registry; will retry');
      this.applier.request();
    }
  }
}
