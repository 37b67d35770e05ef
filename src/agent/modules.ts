import type { Config } from '../config/index.js';
import type { AgentModule } from './module.js';

// A part of the agent, loaded only when its config section is present.
export interface ModuleEntry {
  name: string;
  enabled(cfg: Config): boolean;
  load(cfg: Config): Promise<AgentModule>;
}

// The agent runs these. Adding one is one entry here, e.g.
//   { name: 'sync', enabled: (cfg) => Object.keys(cfg.ha?.peers ?? {}).length > 0, load: async (cfg) => (await import('../sync/module.js')).createSyncModule(cfg) },
export const MODULES: ModuleEntry[] = [
  { name: 'bluegreen', enabled: (cfg) => cfg.nginx !== undefined, load: async () => (await import('../bluegreen/agent-module.js')).createHealthModule() },
];
