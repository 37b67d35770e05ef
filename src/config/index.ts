export { type Config, ConfigError, configPathFrom, DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from './load.js';
export type { Problem } from './rules.js';
export type { SupervisorConfig } from './schema.js';
export type { HaConfig, QuorumConfig } from './schema-ha.js';
export type { GroupConfig, NginxConfig, NodeConfig } from './schema-nginx.js';
