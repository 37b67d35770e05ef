import { EXIT } from '../errors.js';
import { FAULTS, SupervisorUnreachable } from '../supervisor/faults.js';
import { namespec, type ProcessResult } from '../supervisor/types.js';

const F = Object.fromEntries(Object.entries(FAULTS).map(([code, name]) => [name, Number(code)])) as Record<(typeof FAULTS)[keyof typeof FAULTS], number>;

export { F as FAULT };

// supervisorctl's _startresult: one line per process a start touched.
export function startLine(r: ProcessResult): string {
  const name = namespec(r);
  const err = (what: string) => `${name}: ERROR (${what})`;
  switch (r.status) {
    case F.BAD_NAME:
      return err('no such process');
    case F.NO_FILE:
      return err('no such file');
    case F.NOT_EXECUTABLE:
      return err('file is not executable');
    case F.ALREADY_STARTED:
      return err('already started');
    case F.SPAWN_ERROR:
      return err('spawn error');
    case F.ABNORMAL_TERMINATION:
      return err('abnormal termination');
    case F.SUCCESS:
      return `${name}: started`;
    default:
      return err(r.description || `fault ${r.status}`);
  }
}

// supervisorctl's _signalresult (and _stopresult with success "stopped").
export function signalLine(r: ProcessResult, success = 'signalled'): string {
  const name = namespec(r);
  switch (r.status) {
    case F.BAD_NAME:
      return `${name}: ERROR (no such process)`;
    case F.BAD_SIGNAL:
      return `${name}: ERROR (bad signal name)`;
    case F.NOT_RUNNING:
      return `${name}: ERROR (not running)`;
    case F.SUCCESS:
      return `${name}: ${success}`;
    default:
      return r.description || `${name}: ERROR (fault ${r.status})`;
  }
}

// Whether a result makes the command fail; `ignored` is the fault supervisorctl lets pass
// (ALREADY_STARTED for start, NOT_RUNNING for stop).
export function failed(status: number, ignored?: number): boolean {
  return status !== F.SUCCESS && status !== ignored;
}

// supervisorctl's set_exitstatus_from_xmlrpc_fault over a command's results: the last one that is
// neither success nor `ignored` decides: 7 for a dead program (SPAWN_ERROR, ABNORMAL_TERMINATION,
// NOT_RUNNING), else 1.
export function exitOf(statuses: readonly number[], ignored?: number): number {
  let code: number = EXIT.OK;
  for (const s of statuses) {
    if (!failed(s, ignored)) continue;
    code = s === F.SPAWN_ERROR || s === F.ABNORMAL_TERMINATION || s === F.NOT_RUNNING ? EXIT.DEAD : EXIT.FAILED;
  }
  return code;
}

// Two exit codes of one command in sequence (restart: its stop, then its start): the later
// failure wins, as in supervisorctl.
export function laterExit(first: number, second: number): number {
  return second !== EXIT.OK ? second : first;
}

// What supervisorctl's upcheck prints (on stdout) when supervisord cannot be reached, and its
// exit code: no socket file 7, connection refused 4. Undefined for other errors.
export function unreachable(err: unknown): { line: string; code: number } | undefined {
  if (!(err instanceof SupervisorUnreachable)) return undefined;
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return { line: `${err.url} no such file`, code: EXIT.DEAD };
  if (code === 'ECONNREFUSED') return { line: `${err.url} refused connection`, code: EXIT.UNKNOWN };
  return undefined;
}
