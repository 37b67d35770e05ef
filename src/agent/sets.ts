import type { Config } from '../config/index.js';
import type { Health } from '../ha/index.js';
import type { RegistryProblem } from '../registry/index.js';
import type { Role } from './module.js';

// What the agent knows about one service set.
export interface SetState {
  name: string;
  instance: string;
  registry: string;
  vip: string | undefined;
  // From the newest keepalived event (UNKNOWN before the first).
  desired: Role;
  desiredAt: string | undefined;
  // Where that event came from: 'fifo', or `supha notify`'s source.
  desiredVia?: string | undefined;
  priority: number | undefined;
  // The role the last pass computed from desired and the real state, and why.
  effective: Role;
  why: string;
  // The role the agent last made supervisord match (what roleOf answers).
  acted: Role;
  vipHere: boolean | undefined;
  held: boolean;
  programs: { total: number; running: number; fatal: number };
  track: 0 | 1 | undefined;
  // Healthy = the desired role is reached (what `supha check` and the track file say).
  health: Health;
  // Registry entries the last scan skipped (a folder named x.conf, unreadable).
  problems: RegistryProblem[];
  // Why the set's last pass failed.
  lastError: string | undefined;
  // Whether the last pass reached `acted` (false: a demotion failed half-way, retried).
  converged: boolean;
  // Why a MASTER starts none of the set's blue/green nodes (their target is unknown).
  blocked: string | undefined;
  // Held as MASTER while keepalived says otherwise: the peer may run the set too.
  bothMayRun: boolean;
}

export function setsFromConfig(cfg: Config): Map<string, SetState> {
  const out = new Map<string, SetState>();
  for (const [name, s] of Object.entries(cfg.ha?.['service-sets'] ?? {})) {
    out.set(name, {
      name,
      instance: s['vrrp-instance'],
      registry: s.registry,
      vip: s.vip,
      desired: 'UNKNOWN',
      desiredAt: undefined,
      priority: undefined,
      effective: 'UNKNOWN',
      why: 'not checked yet',
      acted: 'UNKNOWN',
      vipHere: undefined,
      held: false,
      programs: { total: 0, running: 0, fatal: 0 },
      track: undefined,
      health: { healthy: false, why: 'not checked yet' },
      problems: [],
      lastError: undefined,
      converged: false,
      blocked: undefined,
      bothMayRun: false,
    });
  }
  return out;
}

// One line of the state log, also kept for status.
export interface Transition {
  at: string;
  set: string;
  trigger: string;
  from: Role;
  to: Role;
  why: string;
  held: boolean;
  started: number;
  stopped: number;
  failed: string[];
  ms: number;
  // Of ms, the time inside supervisord's start calls (spawning).
  supervisordMs?: number;
  outcome: 'ok' | 'held' | 'failed';
}
