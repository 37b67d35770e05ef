import { UserError } from '../errors.js';

// supervisord's xmlrpc.Faults, by code.
export const FAULTS = {
  1: 'UNKNOWN_METHOD',
  2: 'INCORRECT_PARAMETERS',
  3: 'BAD_ARGUMENTS',
  4: 'SIGNATURE_UNSUPPORTED',
  6: 'SHUTDOWN_STATE',
  10: 'BAD_NAME',
  11: 'BAD_SIGNAL',
  20: 'NO_FILE',
  21: 'NOT_EXECUTABLE',
  30: 'FAILED',
  40: 'ABNORMAL_TERMINATION',
  50: 'SPAWN_ERROR',
  60: 'ALREADY_STARTED',
  70: 'NOT_RUNNING',
  80: 'SUCCESS',
  90: 'ALREADY_ADDED',
  91: 'STILL_RUNNING',
  92: 'CANT_REREAD',
} as const;

export type FaultName = (typeof FAULTS)[keyof typeof FAULTS] | 'UNKNOWN_FAULT';

export function faultName(code: number): FaultName {
  return (FAULTS as Record<number, FaultName>)[code] ?? 'UNKNOWN_FAULT';
}

// supervisord answered with a fault: keeps the fault's name (BAD_NAME, ALREADY_STARTED, ...).
export class SupervisorFault extends UserError {
  override name = 'SupervisorFault';
  readonly fault: FaultName;
  constructor(
    readonly method: string,
    readonly code: number,
    readonly faultString: string,
  ) {
    super(`supervisord ${method}: ${faultString}`);
    this.fault = faultName(code);
  }
}

// supervisord could not be reached, refused our credentials, or took too long.
export class SupervisorUnreachable extends UserError {
  override name = 'SupervisorUnreachable';
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`supervisord at ${url}: ${reason}`, undefined, options);
  }
}

// supervisord answered, but not with what XML-RPC promises.
export class SupervisorProtocolError extends UserError {
  override name = 'SupervisorProtocolError';
  constructor(
    readonly url: string,
    readonly method: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`supervisord at ${url}: bad answer to ${method}: ${reason}`, undefined, options);
  }
}

export function isFault(err: unknown, ...names: FaultName[]): err is SupervisorFault {
  return err instanceof SupervisorFault && (names.length === 0 || names.includes(err.fault));
}
