// supervisord's process states, by name (ProcessStates in supervisor/states.py).
export type ProcessStateName = 'STOPPED' | 'STARTING' | 'RUNNING' | 'BACKOFF' | 'STOPPING' | 'EXITED' | 'FATAL' | 'UNKNOWN';

// supervisord's RUNNING_STATES (supervisor/states.py): what stopProcess acts on and startProcess
// refuses (ALREADY_STARTED). STOPPING is not one: it is on its way out.
export const RUNNING_STATES: ReadonlySet<ProcessStateName> = new Set(['RUNNING', 'STARTING', 'BACKOFF']);

export interface ProcessInfo {
  name: string;
  group: string;
  description: string;
  start: number;
  stop: number;
  now: number;
  state: number;
  statename: ProcessStateName;
  spawnerr: string;
  exitstatus: number;
  logfile: string;
  stdout_logfile: string;
  stderr_logfile: string;
  pid: number;
}

// One entry of getAllConfigInfo (what `supervisorctl avail` shows).
export interface ConfigInfo {
  name: string;
  group: string;
  inuse: boolean;
  autostart: boolean;
  group_prio: number;
  process_prio: number;
}

export interface SupervisorState {
  statecode: number;
  statename: 'FATAL' | 'RUNNING' | 'RESTARTING' | 'SHUTDOWN';
}

// One entry of the array that startProcessGroup / stopAllProcesses... return.
export interface ProcessResult {
  name: string;
  group: string;
  status: number;
  description: string;
}

export interface TailResult {
  bytes: string;
  offset: number;
  overflow: boolean;
}

export interface UpdateResult {
  added: string[];
  changed: string[];
  removed: string[];
  // Groups update() could not handle, with why (supervisorctl prints "has problems; not removing").
  problems: { group: string; message: string }[];
}

// The "group:name" form supervisorctl shows, or just the name when they are equal.
export function namespec(info: Pick<ProcessInfo, 'group' | 'name'>): string {
  return info.group === info.name ? info.name : `${info.group}:${info.name}`;
}
