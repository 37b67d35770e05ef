import { Gauge, type Registry } from 'prom-client';
import type { QuorumStatus } from '../quorum/index.js';
import type { StatusView } from './status-view.js';

const ROLES = ['MASTER', 'BACKUP', 'FAULT', 'STOP', 'UNKNOWN'] as const;
const STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'UNKNOWN'] as const;

function makeGauges(registry: Registry) {
  const mk = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  return {
    keepalived: mk('supha_keepalived_up', 'Whether keepalived runs on this node (its pid file names a live process).'),
    supervisord: mk('supha_supervisord_up', 'Whether supervisord answered the last status read.'),
    role: mk('supha_set_role', 'The role this node acts on for a service set (1 for the current one).', ['set', 'role']),
    desired: mk('supha_set_desired_role', "keepalived's newest role for the set (1 for the current one).", ['set', 'role']),
    held: mk('supha_set_held', 'Whether the set is held (transitions logged, not acted on).', ['set']),
    vip: mk('supha_set_vip_here', "Whether the set's VIP is on an interface of this node.", ['set']),
    programs: mk('supha_set_programs', "The set's programs on this node, by supervisord state.", ['set', 'state']),
    lag: mk('supha_replication_lag_seconds', 'How long the oldest registry change not yet on the peer has waited.', ['set', 'peer']),
    success: mk('supha_replication_last_success_timestamp_seconds', 'When a push to the peer last succeeded (0: never).', ['set', 'peer']),
    failures: mk('supha_replication_consecutive_failures', 'Pushes to the peer that failed since the last success.', ['set', 'peer']),
    split: mk('supha_replication_split_brain', 'Whether the peer also claims MASTER of the set (pushes refused).', ['set', 'peer']),
    refused: mk('supha_replication_refused', 'Whether pushes of the set to the peer are refused so as not to lose confs (supha sync diff).', ['set', 'peer']),
    additive: mk('supha_replication_additive', 'Whether the last push to the peer only added (no confirmed BACKUP).', ['set', 'peer']),
    converged: mk('supha_set_converged', 'Whether the last pass reached the role acted on (0: a demotion failed half-way, retried).', ['set']),
    blocked: mk('supha_set_bluegreen_blocked', 'Whether the MASTER starts no blue/green node of the set because their target is unknown.', ['set']),
    bothMayRun: mk('supha_set_held_both_may_run', 'Held as MASTER while keepalived says otherwise: the peer may run the set too.', ['set']),
    healthy: mk('supha_set_healthy', 'Whether the set is healthy here (the track file says 0).', ['set']),
    quarantined: mk('supha_sync_quarantined', 'Confs moved aside at a promotion (in no verified generation) until restored or adopted.', ['set']),
    scans: mk('supha_registry_scans', 'Registry scans by the agent since it started (requests make none).'),
    nodeUp: mk('supha_node_health_up', 'Whether the last health check of a blue/green node passed (its status is running).', ['group', 'node']),
    nodeSeconds: mk('supha_node_health_check_duration_seconds', 'Latency of the last health check of a node.', ['group', 'node']),
    nodeFails: mk('supha_node_health_fail_count', "The node's consecutive failed health checks.", ['group', 'node']),
    primary: mk('supha_node_group_primary', 'Whether the node group is the primary one (behind Nginx).', ['group']),
    qHeld: mk('supha_quorum_held', "Whether this node holds the set's key in etcd (may run it).", ['set']),
    qWaiting: mk('supha_quorum_waiting', 'Whether this node wants the set (MASTER) but is refused its key.', ['set']),
    qFrozen: mk('supha_quorum_frozen', 'Whether the set runs with no etcd answering (policy freeze).', ['set']),
    qLease: mk('supha_quorum_lease_remaining_seconds', "Least time before etcd may expire the set's lease.", ['set']),
    qFences: mk('supha_quorum_fences', 'Times the set was stopped here because its lease could not be renewed (since the agent started).', ['set']),
    qEndpoint: mk('supha_quorum_endpoint_up', 'Whether the etcd endpoint answered the last request sent to it.', ['endpoint']),
  };
}

// The gauges read from the agent's status view at each scrape: roles, programs per state,
// replication per peer, node health. setFrom() replaces every series, so a set or peer that is
// gone does not linger.
export class StateGauges {
  private readonly g: ReturnType<typeof makeGauges>;

  constructor(registry: Registry) {
    this.g = makeGauges(registry);
  }

  setFrom(v: StatusView): void {
    const g = this.g;
    for (const x of Object.values(g)) x.reset();
    g.keepalived.set(v.keepalived.alive ? 1 : 0);
    g.supervisord.set(v.supervisord.ok ? 1 : 0);
    g.scans.set(v.reconcile.registryScans);
    for (const s of Object.values(v.sets)) {
      const set = s.name;
      for (const role of ROLES) {
        g.role.set({ set, role }, s.role === role ? 1 : 0);
        g.desired.set({ set, role }, s.desired === role ? 1 : 0);
      }
      g.held.set({ set }, s.held ? 1 : 0);
      const sync = v.modules.sync as { sets?: Record<string, { quarantined?: unknown[] }> } | undefined;
      const q = sync?.sets?.[set]?.quarantined;
      if (Array.isArray(q)) g.quarantined.set({ set }, q.length);
      g.converged.set({ set }, s.converged ? 1 : 0);
      g.blocked.set({ set }, s.blocked === undefined ? 0 : 1);
      g.bothMayRun.set({ set }, s.bothMayRun ? 1 : 0);
      g.healthy.set({ set }, s.healthy ? 1 : 0);
      if (s.vip !== undefined) g.vip.set({ set }, s.vipHere ? 1 : 0);
      if (v.supervisord.ok) for (const state of STATES) g.programs.set({ set, state }, s.programList.filter((p) => p.state === state).length);
      for (const p of s.replication) {
        const peer = p.peer;
        g.lag.set({ set, peer }, p.lagMs / 1000);
        g.success.set({ set, peer }, p.lastSuccessAt === null ? 0 : Date.parse(p.lastSuccessAt) / 1000);
        g.failures.set({ set, peer }, p.failures);
        g.split.set({ set, peer }, p.splitBrain ? 1 : 0);
        g.refused.set({ set, peer }, p.refused ? 1 : 0);
        g.additive.set({ set, peer }, p.additive ? 1 : 0);
      }
    }
    const quorum = v.modules.quorum as QuorumStatus | undefined;
    for (const [set, q] of Object.entries(quorum?.sets ?? {})) {
      g.qHeld.set({ set }, q.state === 'held' || q.state === 'frozen' ? 1 : 0);
      g.qWaiting.set({ set }, q.state === 'waiting' ? 1 : 0);
      g.qFrozen.set({ set }, q.state === 'frozen' ? 1 : 0);
      g.qLease.set({ set }, (q.leaseRemainingMs ?? 0) / 1000);
      g.qFences.set({ set }, q.fences);
    }
    for (const e of quorum?.endpoints ?? []) g.qEndpoint.set({ endpoint: e.endpoint }, e.ok === true ? 1 : 0);
    for (const grp of v.bluegreen?.groups ?? []) {
      g.primary.set({ group: grp.name }, grp.role === 'primary' ? 1 : 0);
      for (const n of grp.nodes) {
        const labels = { group: grp.name, node: n.name };
        g.nodeUp.set(labels, n.status === 'running' ? 1 : 0);
        g.nodeSeconds.set(labels, n.seconds);
        g.nodeFails.set(labels, n.fails);
      }
    }
  }
}
