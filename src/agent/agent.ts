import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Alerter } from '../alert/index.js';
import { bluegreenExclude, bluegreenSet } from '../bluegreen/ha.js';
import type { Config } from '../config/index.js';
import { UserError } from '../errors.js';
import { HoldStore, roleOfState } from '../ha/index.js';
import { FifoReader, type NotifyEvent } from '../keepalived/index.js';
import { Metrics } from '../metrics/index.js';
import { createWitness, quorumModule, type Witness } from '../quorum/index.js';
import { registryScans } from '../registry/index.js';
import { type ProgramJson, programJson, type SupervisorClient } from '../supervisor/index.js';
import { carryForSet } from '../sync/carry.js';
import { readToken } from '../sync/token.js';
import { sweepTemps } from '../util/atomic.js';
import type { Logger } from '../util/log.js';
import { startControlServer } from './control.js';
import { askAgent } from './control-client.js';
import { handleControl } from './handlers.js';
import { startHttpServer } from './http/index.js';
import { StateGauges } from './metrics.js';
import type { AgentContext, AgentModule, Role } from './module.js';
import { MODULES } from './modules.js';
import { controlSocketPath, tokenFilePath } from './paths.js';
import type { ProcessEvent } from './protocol.js';
import { Reconciler } from './reconcile.js';
import { type SetState, setsFromConfig, type Transition } from './sets.js';
import { blueGreenView } from './status-sources.js';
import { buildStatus, type StatusView } from './status-view.js';
import { StrayInstances } from './strays.js';
import type { AgentView } from './view.js';

// How many processes' newest supervisord events status keeps (it shows the 20 newest).
const EVENTS_KEPT = 200;

// `supha agent`: FIFO reader and control socket in, one reconcile loop, HTTP API, and the
// modules (replication, health checks) that run inside it.
export class Agent implements AgentView {
  readonly node: string;
  readonly sets: Map<string, SetState>;
  readonly holds: HoldStore;
  readonly reconciler: Reconciler;
  readonly transitions: Transition[] = [];
  private readonly lastEvents = new Map<string, ProcessEvent>();
  readonly modules: AgentModule[] = [];
  readonly startedAt = new Date().toISOString();
  eventsIn = 0;
  private readonly strays: StrayInstances;
  readonly metrics = new Metrics();
  readonly alerter: Alerter;
  private readonly gauges = new StateGauges(this.metrics.registry);
  private readonly abort = new AbortController();
  private readonly listeners: ((set: string, role: Role, previous: Role) => void)[] = [];
  private readonly syncRoles = new Map<string, Role>();
  private fifo: FifoReader | undefined;
  private control: Server | undefined;
  private http: HttpServer | undefined;
  private timer: NodeJS.Timeout | undefined;
  // ha.quorum: the etcd witness that says whether a set may run here.
  readonly witness: Witness | undefined;

  constructor(
    readonly cfg: Config,
    readonly client: SupervisorClient,
    readonly log: Logger,
  ) {
    const ha = cfg.ha;
    if (!ha) throw new Error('the agent needs an ha section in the config');
    this.node = ha['node-name'] ?? hostname();
    this.sets = setsFromConfig(cfg);
    this.holds = new HoldStore(cfg['state-dir']);
    this.strays = new StrayInstances(log);
    this.alerter = new Alerter({
      argv: ha['alert-command'],
      timeoutMs: ha['alert-timeout-ms'],
      node: this.node,
      project: cfg['project-name'],
      log: log.child({ module: 'alert' }),
    });
    this.witness =
      ha.quorum &&
      createWitness(ha.quorum, this.node, log.child({ module: 'quorum' }), {
        lost: (set) => this.reconciler.quorumChanged(set, 'quorum-lost'),
        freed: (set) => this.reconciler.quorumChanged(set, 'quorum-free'),
      });
    this.reconciler = new Reconciler({
      client,
      ...(this.witness ? { quorum: this.witness } : {}),
      log: log.child({ module: 'reconcile' }),
      holds: this.holds,
      sets: this.sets,
      stateDir: cfg['state-dir'],
      pidFile: ha.keepalived['pid-file'],
      fifo: () => this.fifo,
      settleMs: cfg.supervisor['wait-timeout-ms'],
      onPass: (ms, ok) => this.metrics.reconcilePass(ms, ok),
      safetyPollMs: Math.max(60_000, ha.agent['reconcile-interval-ms'] * 6),
      replicaToken: () => readToken(tokenFilePath(cfg)),
      // A promoted node carries only what a verified generation lists (docs/replication.md).
      beforeMasterLoad: (set) => carryForSet(cfg, set, log.child({ module: 'sync' }), this.alerter.send),
      // NOTE: a blue/green state file that cannot be read fails closed: no node of either colour
      // is started, the set is not healthy (bluegreenExclude).
      exclude: async (set, entries) => (bluegreenSet(cfg)?.name === set ? bluegreenExclude(cfg, entries) : { exclude: new Set<string>() }),
      onActed: (set) => this.syncRoleMoved(set),
      onPassed: (set) => this.syncRoleMoved(set),
      onTransition: (t) => {
        this.transitions.push(t);
        if (this.transitions.length > 50) this.transitions.shift();
        const line = `transition ${t.set}: ${t.from} -> ${t.to} (${t.why}; ${t.trigger}) ${t.outcome}: started ${t.started}, stopped ${t.stopped} in ${t.ms} ms`;
        if (t.outcome === 'failed') this.log.error({ transition: t }, line);
        else this.log.info({ transition: t }, line);
        this.metrics.transition(t.set, t.from, t.to, t.outcome, t.ms);
        this.alerter.send({ kind: 'transition', summary: line, transition: t });
      },
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  roleOf(set: string): Role {
    return this.sets.get(set)?.acted ?? 'UNKNOWN';
  }

  // What replication acts on (AgentContext.syncRoleOf): a held MASTER that keepalived demoted
  // signs nothing; a conf written into its registry meanwhile is a replica's (refused, and
  // quarantined when the node is promoted again).
  syncRoleOf(set: string): Role {
    const s = this.sets.get(set);
    if (!s) return 'UNKNOWN';
    return s.acted === 'MASTER' && s.effective !== 'MASTER' ? s.effective : s.acted;
  }

  // Tells the listeners when syncRoleOf changed (after the loop acted, or a pass saw keepalived
  // move under a hold).
  private syncRoleMoved(set: string): void {
    const role = this.syncRoleOf(set);
    const previous = this.syncRoles.get(set) ?? 'UNKNOWN';
    if (role === previous) return;
    this.syncRoles.set(set, role);
    for (const l of this.listeners) {
      try {
        l(set, role, previous);
      } catch (err) {
        this.log.error({ err, set }, 'role-change listener failed');
      }
    }
  }

  // An event from the FIFO or `supha notify`: records the desired role of the matching set.
  notify(ev: NotifyEvent, source: string): boolean {
    this.eventsIn++;
    this.metrics.keepalivedEvent(source);
    const sets = [...this.sets.values()].filter((s) => s.instance === ev.name);
    if (sets.length === 0) {
      this.strays.heard(ev.name, ev.state, source);
      return false;
    }
    this.log.info({ event: ev, source }, `event ${ev.type} ${ev.name} ${ev.state}${ev.priority === undefined ? '' : ` ${ev.priority}`} (${source})`);
    for (const s of sets) {
      s.desired = roleOfState(ev.state);
      s.desiredAt = new Date().toISOString();
      s.desiredVia = source;
      s.priority = ev.priority ?? s.priority;
      this.reconciler.desiredChanged(s.name, `${source}:${ev.state}`);
    }
    return true;
  }

  // supervisord's events from `supha listen`: they keep the loop's process table current, and any
  // change runs a pass (health, repair) that reads nothing it already knows.
  processEvents(events: readonly ProcessEvent[], start: boolean): void {
    this.reconciler.table.heard(events, start);
    for (const ev of events) {
      if (ev.state === 'FATAL') this.alerter.send({ kind: 'program-fatal', summary: `program ${ev.group}:${ev.name} is FATAL (was ${ev.from})`, program: ev });
      const key = `${ev.group}:${ev.name}`;
      this.lastEvents.delete(key);
      this.lastEvents.set(key, ev);
      if (this.lastEvents.size > EVENTS_KEPT) this.lastEvents.delete(this.lastEvents.keys().next().value ?? '');
    }
    if (events.length > 0 || start) void this.reconciler.kick(start ? 'listener-start' : 'supervisord-event');
  }

  async start(): Promise<void> {
    const ha = this.cfg.ha!;
    await this.holds.load();
    // Another agent first: a second one must not touch the FIFO (it would read, and lose, events).
    const socket = controlSocketPath(this.cfg);
    if (
      await askAgent(socket, { op: 'status' }, 1_000).then(
        () => true,
        () => false,
      )
    ) {
      throw new UserError(`another agent already answers on ${socket}`);
    }
    // Only the agent writes the track files: what a killed agent left half-way is removed.
    const swept = await sweepTemps(join(this.cfg['state-dir'], 'track'));
    if (swept.length > 0) this.log.info({ files: swept }, 'removed temp files a previous agent left in the track folder');
    // With no service set there is nothing for keepalived to tell us (a blue/green-only host).
    if (this.sets.size > 0) {
      this.fifo = new FifoReader(ha.keepalived['notify-fifo'], (ev) => this.notify(ev, 'fifo'), this.log.child({ module: 'fifo' }));
      await this.fifo.start();
    }
    this.control = await startControlServer(socket, (req) => handleControl(this, req), this.log.child({ module: 'control' }));
    const tokenFile = tokenFilePath(this.cfg);
    const token = await readToken(tokenFile);
    this.http = await startHttpServer(
      ha.agent.listen,
      ha.agent.http,
      token,
      {
        node: this.node,
        status: () => this.status(),
        metrics: async () => {
          this.gauges.setFrom(await this.status());
          return { contentType: this.metrics.registry.contentType, text: await this.metrics.registry.metrics() };
        },
        roleOf: (s) => (this.sets.has(s) ? this.roleOf(s) : undefined),
        control: (req) => handleControl(this, req),
      },
      this.log.child({ module: 'http' }),
    ).catch((err: NodeJS.ErrnoException) => {
      throw new UserError(`ha.agent.listen ${ha.agent.listen}: ${err.code === 'EADDRINUSE' ? 'address already in use' : (err.code ?? err.message)}`);
    });
    if (this.witness) this.modules.push(quorumModule(this.witness));
    await this.reconciler.kick('start');
    this.timer = setInterval(() => {
      void this.fifo?.check().catch((err) => this.log.error({ err }, 'fifo: reopen failed'));
      void this.reconciler.checkHeard().catch((err) => this.log.error({ err }, 'fifo: cannot tell whether keepalived holds it'));
      void this.reconciler.kick('timer');
    }, ha.agent['reconcile-interval-ms']);
    const ctx: AgentContext = {
      cfg: this.cfg,
      log: this.log,
      client: this.client,
      signal: this.abort.signal,
      roleOf: (s) => this.roleOf(s),
      syncRoleOf: (s) => this.syncRoleOf(s),
      onRoleChange: (l) => this.listeners.push(l),
      alert: this.alerter.send,
      metrics: this.metrics,
      registryChanged: (s) => this.reconciler.registryChanged(s),
    };
    for (const entry of MODULES.filter((m) => m.enabled(this.cfg))) {
      const mod = await entry.load(this.cfg);
      await mod.start({ ...ctx, log: this.log.child({ module: mod.name }) });
      this.modules.push(mod);
    }
    this.log.info({ node: this.node, sets: [...this.sets.keys()], listen: ha.agent.listen, control: controlSocketPath(this.cfg) }, 'agent started');
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    for (const m of [...this.modules].reverse()) await m.stop().catch((err) => this.log.error({ err, module: m.name }, 'module stop failed'));
    this.fifo?.stop();
    await new Promise<void>((r) => (this.control ? this.control.close(() => r()) : r()));
    this.http?.closeAllConnections();
    await new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
    await this.reconciler.stop();
    await this.alerter.idle();
    this.log.info('agent stopped');
  }

  // The agent's picture for /status, the page, `supha status` and the metrics (src/agent/status-view.ts).
  async status(): Promise<StatusView> {
    const r = this.reconciler;
    const bluegreen = await blueGreenView(this.cfg);
    // The loop's own picture: a status request reads neither supervisord nor a registry.
    const bySet: Record<string, ProgramJson[]> = {};
    for (const s of this.sets.keys()) bySet[s] = (r.processesOf(s) ?? []).map(programJson);
    const programs = r.table.peek() === undefined ? { bySet, error: r.table.error ?? 'supervisord not read yet' } : { bySet };
    return buildStatus({
      node: this.node,
      startedAt: this.startedAt,
      keepalived: r.keepalived,
      holds: this.holds.all(),
      sets: this.sets.values(),
      lastApply: (set) => r.loopStatus(set).lastApply,
      reconcile: {
        passes: r.passes,
        lastPassMs: Math.round(r.lastPassMs * 10) / 10,
        lastError: r.lastError,
        eventsIn: this.eventsIn,
        processReads: r.table.reads,
        registryScans: registryScans(),
        listener: r.table.listening,
      },
      transitions: this.transitions,
      unknownInstances: this.strays.list(),
      unknownInstanceEventsUnlisted: this.strays.unlisted,
      processEvents: [...this.lastEvents.values()],
      modules: Object.fromEntries(this.modules.map((m) => [m.name, m.status()])),
      programs,
      bluegreen,
    });
  }
}
