import type { ApplyResult } from '../ha/index.js';

export type { ApplyResult, Rejected } from '../ha/index.js';

// What the replication needs of the agent's reconcile loop.
export interface RegistryLoop {
  // The set's registry changed: resolves with what the loop's next pass of the set did to
  // supervisord (update limited to the set's groups; starts only where the set is MASTER).
  registryChanged(set: string): Promise<ApplyResult>;
}

// Makes supervisord match a set's registry after a local edit or a replica push. The apply never
// calls supervisord itself: the agent's one reconcile loop does, so a node being demoted cannot
// start what the loop is stopping (docs/agent.md, "One writer").
export function applyRegistry(loop: RegistryLoop, set: string): Promise<ApplyResult> {
  return loop.registryChanged(set);
}
