import type { HoldStore } from '../ha/index.js';
import type { NotifyEvent } from '../keepalived/index.js';
import type { MetricsRecorder } from '../metrics/index.js';
import type { Logger } from '../util/log.js';
import type { AgentModule, Role } from './module.js';
import type { ProcessEvent } from './protocol.js';
import type { Reconciler } from './reconcile.js';
import type { SetState } from './sets.js';
import type { StatusView } from './status-view.js';

// What the control handlers and the metrics read of the running agent (agent.ts implements it;
// they import this, not agent.ts, so the three files form no import cycle).
export interface AgentView {
  readonly node: string;
  readonly sets: Map<string, SetState>;
  readonly holds: HoldStore;
  readonly reconciler: Reconciler;
  readonly modules: AgentModule[];
  readonly log: Logger;
  readonly eventsIn: number;
  readonly metrics: MetricsRecorder;
  roleOf(set: string): Role;
  notify(ev: NotifyEvent, source: string): boolean;
  processEvents(events: readonly ProcessEvent[], start: boolean): void;
  status(): Promise<StatusView>;
}
