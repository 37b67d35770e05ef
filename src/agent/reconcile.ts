import {
  type ApplyResult,
  type ConvergeResult,
  effectiveRole,
  type Health,
  type HoldStore,
  healthOf,
  setGroups,
  trackFilePath,
  writeTrackFile,
} from '../ha/index.js';
import { heldPipes, type Liveness, pidFileAlive, vipPresent } from '../keepalived/index.js';
import type { RegistryEntry } from '../registry/index.js';
import type { ProcessInfo, SupervisorClient } from '../supervisor/index.js';
import { SerialRunner } from '../sync/debounce.js';
import type { Logger } from '../util/log.js';
import type { Role } from './module.js';
import { converge, type QuorumGate, type SetLoop } from './pass.js';
import type { SetState, Transition } from './sets.js';
import { ProcessTable } from './table.js';

// How long keepalived may run without holding the agent's FIFO before status says so.
const DEAF_GRACE_MS = 3_000;

export interface ReconcileDeps {
  client: SupervisorClient;
  log: Logger;
  holds: HoldStore;
  sets: Map<string, SetState>;
  stateDir: string;
  pidFile: string;
  // The agent's FIFO reader: whether keepalived writes to a pipe it reads.
  fifo?: () => { path: string; inodes(): Set<string>; prune(held: ReadonlySet<string>): void } | undefined;
  // How long a start may take to settle (supervisor.wait-timeout-ms).
  settleMs: number;
  // After each set's pass: its duration and whether it failed (metrics).
  onPass?: (ms: number, ok: boolean) => void;
  // With `supha listen` forwarding events: how often supervisord's whole table and the
  // registries are read anyway.
  safetyPollMs: number;
  // The peers' shared token (ha.agent.token-file), read when a replica is loaded.
  replicaToken?: () => Promise<string | undefined>;
  beforeMasterLoad?: (set: string) => Promise<boolean>;
  // Groups of a MASTER's set the loop must not start now (blue/green: the standby group's nodes
  // run only while a switch holds its lock); with `error`, the target is unknown (fail closed:
  // `exclude` is every node, the set is not healthy). `entries`: the set registry's scan.
  exclude?: (set: string, entries: readonly RegistryEntry[]) => Promise<{ exclude: Set<string>; error?: string }>;
  // ha.quorum: the witness that says whether a set may run here (src/quorum).
  quorum?: QuorumGate;
  onActed: (set: string, role: Role, previous: Role) => void;
  // After every pass of a set (its effective role may have moved under a hold).
  onPassed?: (set: string) => void;
  onTransition: (t: Transition) => void;
}

// The one loop that changes supervisord's process table: one serial runner per set (a kick during
// a pass asks for exactly one more pass after it; a backlog collapses to the newest role), so one
// set's slow start or failing update never holds back another set's stops. A demotion also cuts
// its own set's start short (the settle wait is aborted).
export class Reconciler {
  readonly table: ProcessTable;
  private readonly loops = new Map<string, SetLoop>();
  private vipRetries = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  keepalived: Liveness = { alive: false };
  private deafSince: { pid: number; at: number } | undefined;
  private deaf: { pid: number; why: string } | undefined;
  passes = 0;
  lastPassMs = 0;
  lastError: string | undefined;
  // Groups an operator's supzcli stop/start is acting on, until when: the loop does not start
  // them (it would restart a program between its stop and its park). Stops are never held back.
  private readonly quiesced = new Map<string, number>();

  constructor(private readonly d: ReconcileDeps) {
    this.table = new ProcessTable(d.client, { safetyPollMs: d.safetyPollMs, listenerWindowMs: 15_000 });
    for (const set of d.sets.values()) {
      const loop: SetLoop = {
        set,
        triggers: new Set(),
        runner: new SerialRunner(
          () => this.passOf(loop),
          () => 0,
          (err) => d.log.error({ err, set: set.name }, 'reconcile pass crashed'),
        ),
        abort: undefined,
        scan: undefined,
        scannedAt: 0,
        rescan: true,
        update: true,
        known: new Set(),
        replica: undefined,
        missingKey: '',
        problemsKey: '',
        rejectedKey: '',
        excluded: new Set(),
        blocked: undefined,
        members: undefined,
        membersKey: '',
        failures: 0,
        retry: undefined,
        heldLogged: undefined,
        lastApply: undefined,
        lastError: undefined,
        track: undefined,
      };
      this.loops.set(set.name, loop);
    }
  }

  quiesce(groups: readonly string[], ms: number): void {
    for (const g of groups) {
      if (ms > 0) this.quiesced.set(g, Date.now() + ms);
      else this.quiesced.delete(g);
    }
    if (ms === 0) {
      this.table.invalidate();
      void this.kick('quiesce-lifted');
    }
  }

  claimedElsewhere(set: string, group: string): boolean {
    for (const l of this.loops.values()) {
      if (l.set.name !== set && l.scan && setGroups(l.scan.entries, { loadable: false }).some((g) => g.name === group)) return true;
    }
    return false;
  }

  isQuiesced(group: string): boolean {
    const until = this.quiesced.get(group);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.quiesced.delete(group);
    return false;
  }

  // Asks for a pass of every set (or one); resolves when passes begun after the call have ended.
  async kick(trigger: string, only?: string): Promise<void> {
    const loops = only === undefined ? [...this.loops.values()] : [this.loops.get(only)].filter((l) => l !== undefined);
    await Promise.all(
      loops.map((l) => {
        l.triggers.add(trigger);
        return l.runner.requestAndWait();
      }),
    );
  }

  // The set's desired role changed: a start pass in progress gives way to a demotion at once.
  desiredChanged(set: string, trigger: string): void {
    const l = this.loops.get(set);
    if (!l) return;
    if (l.set.desired !== 'MASTER') l.abort?.abort();
    void this.kick(trigger, set);
  }

  // The quorum witness took the set's key away (fencing) or saw it free: a start in progress
  // gives way, and a pass stops (or starts) at once.
  quorumChanged(set: string, trigger: string): void {
    this.loops.get(set)?.abort?.abort();
    void this.kick(trigger, set);
  }

  // The set's registry changed (a local edit or a replica push): its next pass reads it and
  // updates supervisord; resolves with what that update did.
  async registryChanged(set: string): Promise<ApplyResult> {
    const l = this.loops.get(set);
    if (!l) throw new Error(`no service set "${set}"`);
    l.rescan = true;
    l.update = true;
    await this.kick('registry', set);
    if (l.lastApply === undefined) throw new Error(l.lastError ?? 'the registry was not applied');
    if (l.lastApply.error !== undefined) throw new Error(l.lastApply.error);
    return l.lastApply;
  }

  // The set's health now (what `supha check` answers), from the newest process table.
  async health(set: string): Promise<Health | undefined> {
    const l = this.loops.get(set);
    if (!l) return undefined;
    // Without the listener's events a fresh read (what check always did), with them a ping.
    // NOTE: at most 500 ms: `supha check` waits 1 s for the agent; a hung supervisord must not
    // turn the agent's answer into none (the table's last picture and error answer then).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.table.get().catch(() => {}), new Promise((r) => (timer = setTimeout(r, 500)))]);
    clearTimeout(timer);
    return this.healthOf(l);
  }

  // Resolves once no pass is running.
  async idle(): Promise<void> {
    await Promise.all([...this.loops.values()].map((l) => l.runner.idle()));
  }

  async stop(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const l of this.loops.values()) {
      clearTimeout(l.retry);
      l.abort?.abort();
    }
    await Promise.all([...this.loops.values()].map((l) => l.runner.stop()));
  }

  // The set's processes as the loop last saw them (what status and /metrics show): no
  // supervisord read and no registry scan per request. Undefined after a failed read.
  processesOf(set: string): ProcessInfo[] | undefined {
    const l = this.loops.get(set);
    const infos = this.table.peek();
    if (!l || !infos) return undefined;
    const every = new Set([...(l.members ?? []), ...setGroups(l.scan?.entries ?? [], { loadable: false }).map((g) => g.name)]);
    return infos.filter((p) => every.has(p.group));
  }

  loopStatus(set: string): { problems: unknown[]; lastApply: ApplyResult | null; lastError: string | null } {
    const l = this.loops.get(set);
    return { problems: l?.scan?.problems ?? [], lastApply: l?.lastApply ?? null, lastError: l?.lastError ?? null };
  }

  private healthOf(l: SetLoop): Health {
    const s = l.set;
    const infos = this.table.peek();
    const refused = this.d.quorum?.blocked(s.name);
    if (refused !== undefined) return { healthy: false, why: `MASTER, waiting for quorum: ${refused}` };
    return healthOf({
      desired: s.desired,
      effective: s.effective,
      acted: s.acted,
      held: s.held,
      keepalivedAlive: this.keepalived.alive,
      // What the loop is told not to start (blue/green standby, an operator's quiesce) is not
      // counted against a MASTER's health.
      groups: setGroups(l.scan?.entries ?? [])
        .map((g) => g.name)
        .filter((g) => !l.excluded.has(g) && !this.isQuiesced(g)),
      members: [...(l.members ?? []), ...setGroups(l.scan?.entries ?? [], { loadable: false }).map((g) => g.name)],
      infos: infos ?? { error: this.table.error ?? 'not read yet' },
      passError: l.lastError,
      blocked: l.blocked,
    });
  }

  // Whether keepalived still writes to a FIFO the agent reads: keepalived 2.2 drops notify_fifo
  // on a reload (SIGHUP) when it comes before script_user in global_defs, and then tells no one of
  // its state changes. Called from the agent's timer, not in a pass (it reads /proc). Said in
  // status and the log; a pass then takes FIFO events as stale and goes by the VIP (roles.ts).
  async checkHeard(): Promise<void> {
    const live = this.keepalived;
    const pid = live.alive ? live.pid : undefined;
    const fifo = this.d.fifo?.();
    const inodes = fifo?.inodes();
    const held = pid === undefined || !inodes || inodes.size === 0 ? undefined : await heldPipes(pid, inodes);
    // Dead (status says so), or /proc cannot tell (another user's process, or it died since the
    // last pass): nothing new to say.
    if (pid === undefined || held === undefined) return;
    // Events come by `supha notify` (keepalived notify scripts, no FIFO): not holding it is normal.
    if ([...this.loops.values()].some((l) => l.set.desiredVia !== undefined && l.set.desiredVia !== 'fifo')) {
      this.deaf = undefined;
      this.deafSince = undefined;
      return;
    }
    // Old pipes (the path was removed) that this keepalived does not hold have no writer left.
    fifo?.prune(held);
    if (held.size > 0) {
      if (this.deaf) this.d.log.info({ pid }, 'keepalived writes to the FIFO again');
      this.deaf = undefined;
      this.deafSince = undefined;
      return;
    }
    // A keepalived just started opens the FIFO a moment after it writes its pid file.
    const since = this.deafSince?.pid === pid ? this.deafSince : { pid, at: Date.now() };
    this.deafSince = since;
    if (this.deaf?.pid === pid || Date.now() - since.at < DEAF_GRACE_MS) return;
    const why = `keepalived (pid ${pid}) has no FIFO the agent reads (${fifo?.path}) open: its state changes are not heard; restart keepalived (a reload drops notify_fifo placed before script_user in global_defs)`;
    this.d.log.error({ pid, fifo: fifo?.path }, why);
    this.deaf = { pid, why };
    this.keepalived = { ...live, deaf: why };
  }

  private async liveness(): Promise<Liveness> {
    const live = await pidFileAlive(this.d.pidFile);
    const deaf = this.deaf;
    return live.alive && deaf && deaf.pid === live.pid ? { ...live, deaf: deaf.why } : live;
  }

  private async passOf(l: SetLoop): Promise<void> {
    const set = l.set;
    const t0 = performance.now();
    this.keepalived = await this.liveness();
    // NOTE: after the await: a kick that came meanwhile (a FIFO event) is what this pass acts on
    // (the desired role is read below), so it names the transition, not the timer that began it.
    const trigger = [...l.triggers].join(',') || 'kick';
    l.triggers.clear();
    set.vipHere = set.vip === undefined ? undefined : vipPresent(set.vip);
    // Unheard, an event that came by the FIFO is stale (a `supha notify` script setup holds no FIFO).
    const eff = effectiveRole(set.desired, {
      keepalivedAlive: this.keepalived.alive,
      vipHere: set.vipHere,
      deaf: this.keepalived.deaf !== undefined && set.desiredVia === 'fifo',
    });
    set.effective = eff.role;
    set.why = eff.why;
    const hold = this.d.holds.heldBy(set.name);
    set.held = hold !== undefined;
    // The quorum gate (ha.quorum) is not here: converge() asks it, a MASTER before it starts
    // anything and every role before it gives the key up (pass.ts).
    try {
      await converge(this, this.d, l, { trigger, role: eff.role, why: eff.why, held: hold !== undefined, t0 });
      l.lastError = undefined;
      l.failures = 0;
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== l.lastError) this.d.log.error({ err, set: set.name, trigger }, `reconcile ${set.name} failed: ${msg}`);
      l.lastError = msg;
      l.failures++;
    } finally {
      l.abort = undefined;
    }
    set.converged = l.lastError === undefined;
    set.blocked = l.blocked;
    this.d.onPassed?.(set.name);
    this.retryLater(l);
    this.lastError = [...this.loops.values()].map((x) => x.lastError).find((e) => e !== undefined);
    set.lastError = l.lastError;
    await this.observe(l);
    this.passes++;
    this.lastPassMs = performance.now() - t0;
    this.d.onPass?.(this.lastPassMs, l.lastError === undefined);
    this.scheduleVipRetry(set.desired === 'MASTER' && eff.role !== 'MASTER' && set.vipHere === false && this.keepalived.alive);
  }

  // After a failed pass, one more after a backoff (100 ms doubling to 30 s) whatever the timer
  // says; a kick (an event) does not wait for it.
  private retryLater(l: SetLoop): void {
    clearTimeout(l.retry);
    l.retry = undefined;
    if (l.failures === 0) return;
    const ms = Math.min(30_000, 100 * 2 ** Math.min(l.failures - 1, 9));
    l.retry = setTimeout(() => {
      l.retry = undefined;
      void this.kick('retry', l.set.name);
    }, ms);
    l.retry.unref();
  }

  // The set's program counts, health and track file (1 = not healthy).
  private async observe(l: SetLoop): Promise<void> {
    const s = l.set;
    const mine = this.processesOf(s.name) ?? [];
    s.programs = {
      total: mine.length,
      running: mine.filter((p) => p.statename === 'RUNNING').length,
      fatal: mine.filter((p) => p.statename === 'FATAL').length,
    };
    const h = this.healthOf(l);
    const both = s.held && s.acted === 'MASTER' && s.effective !== 'MASTER';
    if (both && !s.bothMayRun)
      this.d.log.error(
        { set: s.name },
        `set ${s.name} HELD as MASTER while keepalived says ${s.effective}: both hosts may run it (supha release --set ${s.name})`,
      );
    s.bothMayRun = both;
    s.health = h;
    const value: 0 | 1 = h.healthy ? 0 : 1;
    const path = trackFilePath(this.d.stateDir, s.name);
    try {
      if (await writeTrackFile(path, value, l.track)) this.d.log.info({ set: s.name, track: path, value }, `track file ${value}: ${h.why}`);
      l.track = value;
      s.track = value;
    } catch (err) {
      l.track = undefined;
      this.d.log.error({ err, set: s.name, track: path }, 'track file not written');
    }
  }

  // keepalived may announce MASTER a moment before the VIP shows on the interface: look again soon.
  private scheduleVipRetry(waiting: boolean): void {
    if (!waiting) {
      this.vipRetries = 0;
      return;
    }
    if (this.vipRetries >= 40 || this.retryTimer) return;
    this.vipRetries++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.kick('vip-recheck');
    }, 50);
  }

  transition(set: SetState, trigger: string, to: Role, why: string, t0: number, r: ConvergeResult, held: boolean): void {
    const from = set.acted;
    const t: Transition = {
      at: new Date().toISOString(),
      set: set.name,
      trigger,
      from,
      to,
      why,
      held,
      started: r.started.length,
      stopped: r.stopped.length,
      failed: r.failed.map((f) => `${f.name}: ${f.error}`),
      ms: Math.round((performance.now() - t0) * 10) / 10,
      ...(r.rpcMs === undefined ? {} : { supervisordMs: Math.round(r.rpcMs * 10) / 10 }),
      outcome: held ? 'held' : r.failed.length > 0 ? 'failed' : 'ok',
    };
    if (!held && from !== to) {
      set.acted = to;
      this.d.onActed(set.name, to, from);
    }
    this.d.onTransition(t);
  }
}
