import type { AlertFn } from '../alert/index.js';
import type { Config } from '../config/index.js';
import type { ApplyResult } from '../ha/apply.js';
import type { MetricsRecorder } from '../metrics/index.js';
import type { SupervisorClient } from '../supervisor/index.js';
import type { Logger } from '../util/log.js';

// keepalived's states as the agent sees them for a service set.
export type Role = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'UNKNOWN';

// What the agent gives each part that runs inside it (replication, health checks, ...).
export interface AgentContext {
  cfg: Config;
  log: Logger;
  client: SupervisorClient;
  // Aborted when the agent stops.
  signal: AbortSignal;
  // The role this node acts on for a set right now (after reconcile, hold and real-state checks).
  roleOf(set: string): Role;
  // The role replication acts on (signs generations, pushes, refuses writes into the module):
  // MASTER only while the agent acts as MASTER and keepalived agrees. A hold keeps roleOf MASTER
  // after keepalived made the node BACKUP; this one follows keepalived. Absent: roleOf.
  syncRoleOf?(set: string): Role;
  // Called when syncRoleOf of a set changed (e.g. became MASTER, after the agent acted on it).
  onRoleChange(listener: (set: string, role: Role, previous: Role) => void): void;
  // Hands an event to ha.alert-command (never waits).
  alert?: AlertFn;
  // Counters and histograms of /metrics.
  metrics?: MetricsRecorder;
  // The set's registry changed: the reconcile loop (the only writer of supervisord's process
  // table) updates supervisord; resolves with what it did.
  registryChanged(set: string): Promise<ApplyResult>;
}

// A part of the agent: started once, stopped on shutdown, shows itself in /status.
export interface AgentModule {
  name: string;
  start(ctx: AgentContext): Promise<void>;
  stop(): Promise<void>;
  // What /status shows of it; the agent's /metrics gauges are read from it (one registry).
  status(): unknown;
}
