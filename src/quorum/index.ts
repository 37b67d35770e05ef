import type { AgentModule } from '../agent/module.js';
import type { QuorumConfig } from '../config/index.js';
import type { Logger } from '../util/log.js';
import { etcdFromConfig } from './etcd.js';
import { type QuorumStatus, Witness } from './witness.js';

export { FENCE_MARGIN_MS, leaseTiming, minTtlMs, stopBudgetMs } from './budget.js';
export { EtcdClient, EtcdError, etcdFromConfig } from './etcd.js';
export { type Gate, type QuorumSetStatus, type QuorumStatus, Witness } from './witness.js';

// The witness for ha.quorum (the prefix already defaulted by the config loader).
export function createWitness(q: QuorumConfig, node: string, log: Logger, on: { lost(set: string): void; freed(set: string): void }): Witness {
  return new Witness({
    etcd: etcdFromConfig(q),
    node,
    prefix: q.prefix ?? '/supha',
    ttlMs: q['lease-ttl-ms'],
    policy: q.policy,
    acquireWaitMs: q['acquire-wait-ms'],
    log,
    lost: on.lost,
    freed: on.freed,
  });
}

// The witness as a part of the agent: its state in /status (modules.quorum) and /metrics.
export function quorumModule(w: Witness): AgentModule {
  return {
    name: 'quorum',
    start: async () => {},
    stop: () => w.stop(),
    status: () => w.status(),
    metrics: () => quorumMetrics(w.status()),
  };
}

function quorumMetrics(s: QuorumStatus): string[] {
  const out = [
    "# HELP supha_quorum_held 1 while this node holds the set's key in etcd (may run it).",
    '# TYPE supha_quorum_held gauge',
    ...Object.entries(s.sets).map(([set, q]) => `supha_quorum_held{set="${set}"} ${q.state === 'held' || q.state === 'frozen' ? 1 : 0}`),
    '# HELP supha_quorum_waiting 1 while this node wants the set (MASTER) but is refused its key.',
    '# TYPE supha_quorum_waiting gauge',
    ...Object.entries(s.sets).map(([set, q]) => `supha_quorum_waiting{set="${set}"} ${q.state === 'waiting' ? 1 : 0}`),
    '# HELP supha_quorum_frozen 1 while the set runs with no etcd answering (policy freeze).',
    '# TYPE supha_quorum_frozen gauge',
    ...Object.entries(s.sets).map(([set, q]) => `supha_quorum_frozen{set="${set}"} ${q.state === 'frozen' ? 1 : 0}`),
    "# HELP supha_quorum_lease_remaining_seconds Least time before etcd may expire the set's lease.",
    '# TYPE supha_quorum_lease_remaining_seconds gauge',
    ...Object.entries(s.sets).map(([set, q]) => `supha_quorum_lease_remaining_seconds{set="${set}"} ${(q.leaseRemainingMs ?? 0) / 1000}`),
    '# HELP supha_quorum_fences_total Times the set was stopped because its lease could not be renewed.',
    '# TYPE supha_quorum_fences_total counter',
    ...Object.entries(s.sets).map(([set, q]) => `supha_quorum_fences_total{set="${set}"} ${q.fences}`),
    '# HELP supha_quorum_endpoint_up 1 when the etcd endpoint answered the last request sent to it.',
    '# TYPE supha_quorum_endpoint_up gauge',
    ...s.endpoints.map((e) => `supha_quorum_endpoint_up{endpoint="${e.endpoint}"} ${e.ok === true ? 1 : 0}`),
  ];
  return out;
}
