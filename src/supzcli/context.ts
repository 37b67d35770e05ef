import { join } from 'node:path';
import type { Io } from '../cli/io.js';
import type { LiteConfig } from '../config/lite.js';
import type { SupervisorClient } from '../supervisor/client.js';

// What a verb gets: the config, a client, where to print, and an interrupt for tail -f.
export interface Ctx {
  cfg: LiteConfig;
  client: SupervisorClient;
  io: SupzIo;
  // Aborted by Ctrl-C while a command runs (tail -f stops; the prompt stays).
  interrupt: AbortSignal;
  // Set when --force let a command act without an agent saying this node is MASTER (audited).
  forced?: boolean;
}

export interface SupzIo extends Io {
  // Text as is, no newline added (tail -f).
  write(text: string): void;
}

// The registry folders: supervisor.registry-dirs, then every service set's registry, no repeats.
export function registryDirs(cfg: LiteConfig): string[] {
  return [...new Set([...cfg.supervisor['registry-dirs'], ...Object.values(cfg.serviceSets)])];
}

// Where supzcli stop parks confs (the full config or the lite one).
export function parkedDir(cfg: Pick<LiteConfig, 'state-dir'>): string {
  return join(cfg['state-dir'], 'parked');
}
