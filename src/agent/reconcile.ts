import { type ConvergeResult, effectiveRole, type Group, type HoldStore, setGroups, startAll, stopAll, trackFilePath, writeTrackFile } from '../ha/index.js';
import { pidFileAlive, vipPresent } from '../keepalived/index.js';
import { scanRegistry } from '../registry/index.js';
import { type ProcessInfo, type SupervisorClient, update } from '../supervisor/index.js';
import type { Logger } from '../util/log.js';
import type { Role } from './module.js';
import type { SetState, Transition } from './sets.js';
import { registrySignature } from './signature.js';

export interface ReconcileDeps {
  client: SupervisorClient;
  log: Logger;
  holds: HoldStore;
  sets: Map<string, SetState>;
  stateDir: string;
  pidFile: string;
  // How long a start may take to settle (supervisor.wait-timeout-ms).
  settleMs: number;
  // After each pass: its duration and whether it failed (metrics).
  onPass?: (ms: number, ok: boolean) => void;
  onActed: (set: string, role: Role, previous: Role) => void;
  onTransition: (t: Transition) => void;
}

// One serialized loop that makes supervisord match each set's role. kick() during a pass asks
// for one more pass after it; any number of kicks collapse into that one (newest role wins).
export class Reconciler {
  private running: Promise<void> | undefined;
  private again = false;
  private triggers = new Set<string>();
  private vipRetries = 0;
  // The held role last logged per set, so a hold logs each transition once, not every pass.
  private heldLogged = new Map<string, Role>();
  // The registry signature of each set at its last update().
  private updatedSig = new Map<string, string>();
  // The last process list read from supervisord (names rarely change; states are re-read).
  private known: ProcessInfo[] | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  keepalived: { alive: boolean; pid?: number; why?: string } = { alive: false };
  passes = 0;
  lastPassMs = 0;
  lastError: string | undefined;

  // Groups an operator's supzcli stop/start is acting on, until when: the loop leaves them alone
  // so it does not restart a program between its stop and its park.
  private quiesced = new Map<string, number>();

  constructor(private readonly d: ReconcileDeps) {}

  quiesce(groups: readonly string[], ms: number): void {
    for (const g of groups) {
      if (ms > 0) this.quiesced.set(g, Date.now() + ms);
      else this.quiesced.delete(g);
    }
    if (ms === 0) void this.kick('quiesce-lifted');
  }

  private isQuiesced(group: string): boolean {
    const until = this.quiesced.get(group);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.quiesced.delete(group);
    return false;
  }

  kick(trigger: string): Promise<void> {
    this.triggers.add(trigger);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const trigger = [...this.triggers].join(',') || 'kick';
      this.triggers.clear();
      const t0 = performance.now();
      let ok = true;
      try {
        await this.pass(trigger);
        this.lastError = undefined;
      } catch (err) {
        ok = false;
        this.lastError = (err as Error).message;
        this.d.log.error({ err, trigger }, 'reconcile pass failed');
      }
      this.passes++;
      this.lastPassMs = performance.now() - t0;
      this.d.onPass?.(this.lastPassMs, ok);
    } while (this.again);
  }

  private async pass(trigger: string): Promise<void> {
    this.keepalived = await pidFileAlive(this.d.pidFile);
    let infos: ProcessInfo[] | undefined;
    const getInfos = async () => {
      infos ??= await this.d.client.getAllProcessInfo();
      this.known = infos;
      return infos;
    };
    let waitingForVip = false;
    for (const set of this.d.sets.values()) {
      const t0 = performance.now();
      set.vipHere = set.vip === undefined ? undefined : vipPresent(set.vip);
      const eff = effectiveRole(set.desired, { keepalivedAlive: this.keepalived.alive, vipHere: set.vipHere });
      set.effective = eff.role;
      set.why = eff.why;
      if (set.desired === 'MASTER' && eff.role !== 'MASTER' && set.vipHere === false && this.keepalived.alive) waitingForVip = true;
      const hold = this.d.holds.heldBy(set.name);
      set.held = hold !== undefined;
      const changing = eff.role !== set.acted;
      if (hold) {
        if (changing && this.heldLogged.get(set.name) !== eff.role) {
          this.heldLogged.set(set.name, eff.role);
          this.transition(set, trigger, eff.role, eff.why, t0, { started: [], stopped: [], failed: [] }, true);
        }
        continue;
      }
      this.heldLogged.delete(set.name);
      if (eff.role === 'UNKNOWN') continue;
      const groups = setGroups(await scanRegistry([set.registry])).filter((g) => !this.isQuiesced(g.name));
      // Becoming MASTER is the hot path: no fresh process list when the last one knows every group.
      const hot = changing && eff.role === 'MASTER' && this.known !== undefined && groups.every((g) => this.known?.some((p) => p.group === g.name));
      if (await this.syncRegistry(set.name, set.registry, groups, hot ? undefined : await getInfos())) infos = undefined;
      const result =
        eff.role === 'MASTER'
          ? await startAll(this.d.client, groups, hot ? (this.known ?? []) : await getInfos(), { all: changing, settleMs: this.d.settleMs })
          : await stopAll(this.d.client, groups, await getInfos());
      if (result.started.length + result.stopped.length > 0) infos = undefined;
      if (changing) this.transition(set, trigger, eff.role, eff.why, t0, result, false);
      else if (result.started.length + result.stopped.length + result.failed.length > 0)
        this.transition(set, trigger, eff.role, `repair: ${eff.why}`, t0, result, false);
    }
    await this.observe(await getInfos());
    this.scheduleVipRetry(waitingForVip);
  }

  // update() for the set's groups when its registry changed since the last one, or (given the
  // process list) when a group is not loaded. Starts nothing. Returns whether supervisord changed.
  private async syncRegistry(name: string, registry: string, groups: Group[], infos: ProcessInfo[] | undefined): Promise<boolean> {
    const sig = await registrySignature(registry);
    const missing = infos !== undefined && groups.some((g) => !infos.some((p) => p.group === g.name));
    if (sig === this.updatedSig.get(name) && !missing) return false;
    // update() with no names means every group on the host: never for one set.
    if (groups.length === 0) return false;
    try {
      const u = await update(
        this.d.client,
        groups.map((g) => g.name),
      );
      for (const p of u.problems) this.d.log.warn({ set: name, group: p.group }, `update: ${p.message}`);
      this.updatedSig.set(name, sig);
      return u.added.length + u.changed.length + u.removed.length > 0;
    } catch (err) {
      this.d.log.error({ err, set: name }, `update of ${name} failed: ${(err as Error).message}`);
      return false;
    }
  }

  // Counts each set's programs and writes its track file (1 when one is FATAL).
  private async observe(infos: ProcessInfo[]): Promise<void> {
    for (const set of this.d.sets.values()) {
      const groups = new Set(setGroups(await scanRegistry([set.registry])).map((g) => g.name));
      const mine = infos.filter((p) => groups.has(p.group));
      const fatal = mine.filter((p) => p.statename === 'FATAL').length;
      set.programs = { total: groups.size === 0 ? 0 : mine.length, running: mine.filter((p) => p.statename === 'RUNNING').length, fatal };
      const value: 0 | 1 = fatal > 0 ? 1 : 0;
      const path = trackFilePath(this.d.stateDir, set.name);
      if (await writeTrackFile(path, value))
        this.d.log.info({ set: set.name, track: path, value }, value ? 'track file: a program is FATAL' : 'track file: healthy');
      set.track = value;
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

  private transition(set: SetState, trigger: string, to: Role, why: string, t0: number, r: ConvergeResult, held: boolean): void {
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
