export { type ClientOptions, SupervisorClient } from './client.js';
export { FAULTS, type FaultName, faultName, isFault, SupervisorFault, SupervisorProtocolError, SupervisorUnreachable } from './faults.js';
export { formatStatusLines, type ProgramJson, programJson } from './format.js';
export { clientFromConfig } from './from-config.js';
export * from './types.js';
export { update } from './update.js';
