import type { SupervisorConfig } from '../config/schema.js';
import { SupervisorClient } from './client.js';

// Its own module so supzcli's fast path loads only the client, not the rest of supervisor/.
// A client for the config's supervisor section (a full Config, or supzcli's LiteConfig).
export function clientFromConfig(cfg: { supervisor: SupervisorConfig }): SupervisorClient {
  const s = cfg.supervisor;
  return new SupervisorClient({
    url: s['server-url'],
    username: s.username,
    password: s.password,
    timeoutMs: s['timeout-ms'],
    waitTimeoutMs: s['wait-timeout-ms'],
  });
}
