import type { ProgramJson } from '../supervisor/index.js';
import type { ProcessEvent } from './protocol.js';
import type { SetState, Transition } from './sets.js';
import type { StrayInstance } from './strays.js';

// What the agent's state objects give /status, the status page, `supha status` and /metrics.
export interface StatusInput {
  node: string;
  startedAt: string;
  keepalived: { alive: boolean; pid?: number; why?: string; deaf?: string };
  holds: Record<string, { reason: string; since: string }>;
  sets: Iterable<SetState>;
  // What the set's last registry update did (the reconcile loop's).
  lastApply: (set: string) => unknown;
  reconcile: {
    passes: number;
    lastPassMs: number;
    lastError: string | undefined;
    eventsIn: number;
    processReads: number;
    // Registry scans by this process since it started (the loop's; a request makes none).
    registryScans: number;
    listener: boolean;
  };
  transitions: readonly Transition[];
  // keepalived instances that sent events no set follows (a problem: a misnamed set does nothing).
  unknownInstances: readonly StrayInstance[];
  // Events for further such instances, past the ones listed.
  unknownInstanceEventsUnlisted: number;
  processEvents: readonly ProcessEvent[];
  // Each module's status() by name (sync: replication per peer; bluegreen: the health loop).
  modules: Record<string, unknown>;
  // Every program of each set as supervisord reports it now, or why it could not be asked.
  programs: { bySet: Record<string, ProgramJson[]>; error?: string | undefined };
  // Blue/green groups with their role and each node's health, when the host has an nginx section.
  bluegreen?: BlueGreenView | undefined;
}

export interface BlueGreenView {
  groups: {
    name: string;
    role: 'primary' | 'standby' | 'other';
    nodes: { name: string; status: string; code: number; seconds: number; fails: number; checkedAt: string }[];
  }[];
  error?: string;
}

export interface PeerView {
  peer: string;
  state: string;
  lagMs: number;
  lastSuccessAt: string | null;
  failures: number;
  lastError: string | null;
  splitBrain: boolean;
  refused: boolean;
  additive: boolean;
}

// The set's standing with the quorum witness (modules.quorum), when ha.quorum is set.
export interface QuorumView {
  state: 'held' | 'frozen' | 'waiting' | 'free';
  holder: string | null;
  since: string | null;
  leaseRemainingMs: number | null;
  lastRenewalAt: string | null;
  waiting: string | null;
  fences: number;
  lastError: string | null;
  // The set's stop budget no longer fits the lease TTL (a conf pushed later): by how much.
  ttlTooShort?: string | null;
}

export type SetView = SetState & {
  role: SetState['acted'];
  // What an operator reads: the role, or "MASTER, waiting for quorum" while refused the key.
  roleText: string;
  quorum: QuorumView | null;
  healthy: boolean;
  lastApply: unknown;
  programList: ProgramJson[];
  replication: PeerView[];
};

export interface StatusView {
  node: string;
  startedAt: string;
  keepalived: StatusInput['keepalived'];
  holds: StatusInput['holds'];
  sets: Record<string, SetView>;
  reconcile: StatusInput['reconcile'];
  transitions: Transition[];
  unknownInstances: StrayInstance[];
  unknownInstanceEventsUnlisted: number;
  processEvents: ProcessEvent[];
  modules: Record<string, unknown>;
  supervisord: { ok: boolean; error?: string };
  bluegreen?: BlueGreenView | undefined;
}

interface SyncPeer {
  peer: string;
  state: string;
  lagMs: number;
  lastSuccessAt: string | null;
  failures: number;
  lastError: { message: string } | null;
  splitBrain: unknown;
  refused?: unknown;
  mode?: { mode?: string } | null;
}

function peersOf(sync: unknown, set: string): PeerView[] {
  const peers = (sync as { sets?: Record<string, { peers?: SyncPeer[] }> } | undefined)?.sets?.[set]?.peers ?? [];
  return peers.map((p) => ({
    peer: p.peer,
    state: p.state,
    lagMs: p.lagMs,
    lastSuccessAt: p.lastSuccessAt,
    failures: p.failures,
    lastError: p.lastError?.message ?? null,
    splitBrain: p.splitBrain !== null && p.splitBrain !== undefined,
    refused: p.refused !== null && p.refused !== undefined,
    additive: p.mode?.mode === 'additive',
  }));
}

// The one picture of the agent: /status answers it as JSON, the page and `supha status` render it.
export function buildStatus(i: StatusInput): StatusView {
  const sets: Record<string, SetView> = {};
  const q = i.modules.quorum as { sets?: Record<string, QuorumView> } | undefined;
  for (const s of i.sets) {
    const quorum = q?.sets?.[s.name] ?? null;
    sets[s.name] = {
      ...s,
      role: s.acted,
      roleText: quorum?.state === 'waiting' ? 'MASTER, waiting for quorum' : quorum?.state === 'frozen' ? `${s.acted}, frozen (no quorum)` : s.acted,
      quorum,
      healthy: s.health.healthy,
      lastApply: i.lastApply(s.name),
      programList: i.programs.bySet[s.name] ?? [],
      replication: peersOf(i.modules.sync, s.name),
    };
  }
  return {
    node: i.node,
    startedAt: i.startedAt,
    keepalived: i.keepalived,
    holds: i.holds,
    sets,
    reconcile: i.reconcile,
    transitions: i.transitions.slice(-20),
    unknownInstances: [...i.unknownInstances],
    unknownInstanceEventsUnlisted: i.unknownInstanceEventsUnlisted,
    processEvents: i.processEvents.slice(-20),
    modules: i.modules,
    supervisord: i.programs.error === undefined ? { ok: true } : { ok: false, error: i.programs.error },
    ...(i.bluegreen === undefined ? {} : { bluegreen: i.bluegreen }),
  };
}
