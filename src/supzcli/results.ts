import { FAULTS } from '../supervisor/faults.js';
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
