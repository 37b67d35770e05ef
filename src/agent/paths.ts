import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/index.js';

// The agent's unix control socket: ha.agent.control-socket (relative to the config file), else
// <state-dir>/agent.sock.
export function controlSocketPath(cfg: Config): string {
  const p = cfg.ha?.agent['control-socket'];
  return p === undefined ? join(cfg['state-dir'], 'agent.sock') : resolve(dirname(cfg.configPath), p);
}

export function tokenFilePath(cfg: Config): string | undefined {
  const p = cfg.ha?.agent['token-file'];
  return p === undefined ? undefined : resolve(dirname(cfg.configPath), p);
}
