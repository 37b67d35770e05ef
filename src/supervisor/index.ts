import type { Config } from '../config/index.js';
import { SupervisorClient } from './client.js';

export { type ClientOptions, SupervisorClient } from './client.js';
export { FAULTS, type FaultName, faultName, isFault, SupervisorFault, SupervisorProtocolError, SupervisorUnreachable } from './faults.js';
export { formatStatusLines, type ProgramJson, programJson } from './format.js';
export * from './types.js';
export { update } from './update.js';

export function clientFromConfig(cfg: Config): SupervisorClient {
  const s = cfg.supervisor;
  return new SupervisorClient({
    url: s['server-url'],
    username: s.username,
    password: s.password,
    timeoutMs: s['timeout-ms'],
    waitTimeoutMs: s['wait-timeout-ms'],
  });
}
