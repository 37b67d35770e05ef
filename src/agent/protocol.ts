import type { NotifyEvent } from '../keepalived/index.js';

// Requests on the control socket: one JSON object a line; one JSON answer a line.
export type ControlRequest =
  | { op: 'notify'; event: NotifyEvent; source?: string }
  | { op: 'hold'; set?: string; reason: string }
  | { op: 'release'; set?: string }
  | { op: 'check'; set: string }
  | { op: 'status' }
  // supzcli stop/start X: leave these groups alone for ms (0: from now on again) while it acts.
  | { op: 'quiesce'; groups: string[]; ms: number }
  // From `supha listen`: supervisord's events; none for a TICK; start after it (re)started.
  | { op: 'process'; events: ProcessEvent[]; start?: boolean }
  | { op: 'sync'; action: 'status' | 'pause' | 'resume'; set?: string }
  // From `supha sync accept`: a write into the set's registry through the rsync module goes on.
  | { op: 'sync'; action: 'received'; set: string }
  // From `supha switch` / `rollback` when it ends: its outcome, for the agent's /metrics.
  | { op: 'switched'; outcome: 'ok' | 'rolled-back' | 'failed'; ms: number };

// A supervisord PROCESS_STATE event as `supha listen` forwards it.
export interface ProcessEvent {
  name: string;
  group: string;
  state: string;
  from: string;
  at: string;
}

export type ControlResponse = { ok: true; [k: string]: unknown } | { ok: false; error: string };
