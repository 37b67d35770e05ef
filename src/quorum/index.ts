import type { AgentModule } from '../agent/module.js';
import type { QuorumConfig } from '../config/index.js';
import type { Logger } from '../util/log.js';
import { etcdFromConfig } from './etcd.js';
import { Witness } from './witness.js';

export { FENCE_MARGIN_MS, leaseTiming, minTtlMs, stopBudgetMs } from './budget.js';
export { EtcdClient, EtcdError, etcdFromConfig } from './etcd.js';
export { type Gate, parseOwner, type QuorumSetStatus, type QuorumStatus, Witness } from './witness.js';

// The witness for ha.quorum (the prefix already defaulted by the config loader).
export function createWitness(q: QuorumConfig, node: string, log: Logger, on: { lost(set: string): void; freed(set: string): void }): Witness {
  return new Witness({
    etcd: etcdFromConfig(q),
    node,
    prefix: q.prefix ?? '/supha',
    ttlMs: q['lease-ttl-ms'],
    policy: q.policy,
    acquireWaitMs: q['acquire-wait-ms'],
    hostIdFile: q['host-id-file'],
    log,
    lost: on.lost,
    freed: on.freed,
  });
}

// The witness as a part of the agent: its state in /status (modules.quorum), read by /metrics
// (src/agent/metrics.ts).
export function quorumModule(w: Witness): AgentModule {
  return {
    name: 'quorum',
    start: async () => {},
    stop: () => w.stop(),
    status: () => w.status(),
  };
}
