import { hostname } from 'node:os';
import type { AgentContext, AgentModule } from '../agent/module.js';
import { tokenFilePath } from '../agent/paths.js';
import { UserError } from '../errors.js';
import { parkedDir } from '../supzcli/context.js';
import { carryFile, noteReceived } from './carry.js';
import { PauseStore, pauseFile } from './pause.js';
import { type SetStatus, SetSync } from './set.js';
import { readToken } from './token.js';

export interface SyncStatus {
  sets: Record<string, SetStatus>;
}

// Registry replication inside the agent (docs/replication.md): one SetSync per service set.
export class SyncModule implements AgentModule {
  readonly name = 'sync';
  private readonly sets = new Map<string, SetSync>();
  private pause: PauseStore | undefined;
  private cfg: AgentContext['cfg'] | undefined;

  async start(ctx: AgentContext): Promise<void> {
    const ha = ctx.cfg.ha;
    if (!ha) return;
    this.cfg = ctx.cfg;
    // The agent hands each module a logger that already names it.
    const log = ctx.log;
    const pause = new PauseStore(pauseFile(ctx.cfg['state-dir']));
    await pause.load();
    this.pause = pause;
    const token = await readToken(tokenFilePath(ctx.cfg));
    const s = ha.sync;
    const node = ha['node-name'] ?? hostname();
    const peers = Object.entries(ha.peers)
      .filter(([, p]) => p['sync-target'] !== undefined)
      .map(([name, p]) => ({
        peer: name,
        target: { target: p['sync-target'] ?? '', sshOptions: p['ssh-options'], passwordFile: p['password-file'] },
        agentUrl: p['agent-url'],
        token,
        debounceMs: s['debounce-ms'],
        retryMinMs: s['retry-min-ms'],
        retryMaxMs: s['retry-max-ms'],
        timeoutMs: s['timeout-ms'],
        roleCheckTimeoutMs: s['role-check-timeout-ms'],
        alert: ctx.alert,
        metrics: ctx.metrics,
      }));
    for (const [set, sc] of Object.entries(ha['service-sets'])) {
      const sync = new SetSync({
        set,
        node,
        registry: sc.registry,
        token,
        retention: { maxAgeDays: s['history-max-age-days'], maxCount: s['history-max-count'] },
        loop: ctx,
        log: log.child({ set }),
        roleOf: () => (ctx.syncRoleOf ?? ctx.roleOf)(set),
        isPaused: () => pause.isPaused(set),
        pausedSince: () => pause.since(set),
        debounceMs: s['debounce-ms'],
        retryMinMs: s['retry-min-ms'],
        retryMaxMs: s['retry-max-ms'],
        peers,
        parkedRoot: parkedDir(ctx.cfg),
        carryPath: carryFile(ctx.cfg['state-dir'], set),
        alert: ctx.alert,
      });
      this.sets.set(set, sync);
    }
    ctx.onRoleChange((set, role, previous) => this.sets.get(set)?.roleChanged(role, previous));
    for (const sync of this.sets.values()) await sync.start();
    log.info({ sets: [...this.sets.keys()], peers: peers.map((p) => p.peer), paused: pause.snapshot() }, 'replication started');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sets.values()].map((s) => s.stop()));
  }

  status(): SyncStatus {
    return { sets: Object.fromEntries([...this.sets].map(([name, s]) => [name, s.status()])) };
  }

  // supha sync pause [--set S]: pushes wait; the watcher keeps running.
  async pauseSync(set?: string): Promise<SyncStatus> {
    await this.store().pause(this.checkSet(set));
    return this.status();
  }

  // supha sync resume [--set S]: what waited is pushed now.
  async resumeSync(set?: string): Promise<SyncStatus> {
    await this.store().resume(this.checkSet(set));
    for (const [name, s] of this.sets) if (set === undefined || set === name) s.push();
    return this.status();
  }

  // supha sync accept let a write into the set's registry through the rsync module (recorded
  // before it lands: src/sync/carry.ts).
  async received(set: string): Promise<void> {
    const sc = this.cfg?.ha?.['service-sets'][set];
    if (!sc || !this.sets.has(set)) throw new UserError(`unknown set "${set}"`);
    await noteReceived(carryFile(this.cfg?.['state-dir'] ?? '', set), sc.registry);
  }

  // Resolves when no push or update is running (tests, benchmarks).
  async idle(): Promise<void> {
    await Promise.all([...this.sets.values()].map((s) => s.idle()));
  }

  private store(): PauseStore {
    if (!this.pause) throw new UserError('replication is not running (no ha section in the config?)');
    return this.pause;
  }

  private checkSet(set: string | undefined): string | undefined {
    if (set !== undefined && !this.sets.has(set)) {
      throw new UserError(`unknown set "${set}" (sets: ${[...this.sets.keys()].join(', ') || 'none'})`);
    }
    return set;
  }
}

// The agent's module list loads this (src/agent/modules.ts).
export async function createSyncModule(): Promise<SyncModule> {
  return new SyncModule();
}
