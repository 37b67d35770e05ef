import type { Role } from '../agent/module.js';
import type { ProcessInfo } from '../supervisor/index.js';

export interface HealthInput {
  // The newest keepalived event's role, the role the agent acts on, the one it last reached.
  desired: Role;
  effective: Role;
  acted: Role;
  held: boolean;
  keepalivedAlive: boolean;
  // The groups a MASTER must run (the set's loadable groups).
  groups: readonly string[];
  // Every group of the set, also those the last scan skipped (a non-MASTER runs none of them).
  members: readonly string[];
  // supervisord's processes, or why they are not known (supervisord down or hung).
  infos: readonly Pick<ProcessInfo, 'group' | 'name' | 'statename'>[] | { error: string };
  // Why the set's last pass failed, if it did.
  passError: string | undefined;
  // Why a MASTER cannot tell what to start (blue/green state unreadable: it starts none of the nodes).
  blocked?: string | undefined;
}

export interface Health {
  healthy: boolean;
  why: string;
}

// A process that is still alive (a non-MASTER must have none of the set's).
const ALIVE: ReadonlySet<string> = new Set(['STARTING', 'RUNNING', 'BACKOFF', 'STOPPING']);

// The processes of these groups that are still alive: what a non-MASTER must not have, and what
// must be down before a quorum key is given up (src/agent/pass.ts).
export function aliveIn<P extends Pick<ProcessInfo, 'group' | 'statename'>>(infos: readonly P[], groups: ReadonlySet<string>): P[] {
  return infos.filter((p) => groups.has(p.group) && ALIVE.has(p.statename));
}

const name = (p: Pick<ProcessInfo, 'group' | 'name'>) => (p.group === p.name ? p.name : `${p.group}:${p.name}`);

function list(problems: string[]): string {
  return problems.length > 5 ? `${problems.slice(0, 5).join(', ')} and ${problems.length - 5} more` : problems.join(', ');
}

// Healthy means the desired role is reached. A node keepalived makes MASTER (or that has the VIP)
// is healthy only while every program of the set is RUNNING or STARTING (supervisord says when a
// start failed: BACKOFF, FATAL; a new MASTER's programs are STARTING when its pass ends, and
// counting that as sick put the instance in FAULT through the track file, again and again); any
// other role only while nothing of the set runs here (a non-MASTER's FATAL programs do not count).
// Held, the role last reached is the one that counts, except that a node held as MASTER while
// keepalived says otherwise is never healthy: the peer runs the set too. With no event yet and no
// VIP to look at (UNKNOWN), only a set that runs whole is healthy: this may be the MASTER, and a
// MASTER running nothing must not keep the VIP.
export function healthOf(h: HealthInput): Health {
  if (h.held && h.acted === 'MASTER' && h.effective !== 'MASTER') {
    return { healthy: false, why: `HELD as MASTER while keepalived says ${h.effective}: both hosts may run the set (supha release)` };
  }
  const unknown = !h.held && h.effective === 'UNKNOWN';
  const wantMaster = h.held ? h.acted === 'MASTER' : h.effective === 'MASTER' || (h.desired === 'MASTER' && h.keepalivedAlive);
  if (!wantMaster && !unknown) return notMaster(h);
  const role = unknown ? 'no keepalived event yet and no vip' : 'MASTER';
  if ('error' in h.infos) return { healthy: false, why: `${role}: supervisord: ${h.infos.error}` };
  if (wantMaster && h.effective !== 'MASTER' && !h.held) return { healthy: false, why: `keepalived says MASTER but ${h.effective} here (no VIP)` };
  const groups = new Set(h.groups);
  const mine = h.infos.filter((p) => groups.has(p.group));
  const starting = mine.filter((p) => p.statename === 'STARTING').length;
  const bad = mine.filter((p) => p.statename !== 'RUNNING' && p.statename !== 'STARTING').map((p) => `${name(p)} ${p.statename}`);
  const missing = [...groups].filter((g) => !mine.some((p) => p.group === g)).map((g) => `${g} not loaded`);
  const problems = [...bad, ...missing];
  if (problems.length > 0) return { healthy: false, why: `${role}, not converged: ${list(problems)}` };
  if (h.blocked !== undefined) return { healthy: false, why: `${role}, not converged: ${h.blocked}` };
  if (h.passError !== undefined) return { healthy: false, why: `${role}, last pass failed: ${h.passError}` };
  if (starting > 0) return { healthy: true, why: `${role}: ${mine.length - starting} of ${mine.length} programs RUNNING, ${starting} starting` };
  return { healthy: true, why: `${role}: all ${mine.length} programs RUNNING` };
}

// A non-MASTER is healthy while nothing of the set runs here, whatever its registry says now.
function notMaster(h: HealthInput): Health {
  const role = h.held ? `held, ${h.acted}` : h.effective;
  const nowhere = h.held && h.effective === 'MASTER' ? '; keepalived says MASTER: the set may run nowhere' : '';
  if ('error' in h.infos) return { healthy: false, why: `${role}: supervisord: ${h.infos.error}` };
  const members = new Set(h.members);
  const alive = aliveIn(h.infos, members).map((p) => `${name(p)} ${p.statename}`);
  if (alive.length > 0) return { healthy: false, why: `${role}, not converged: ${list(alive)} here` };
  return { healthy: true, why: `not MASTER (${role}${nowhere}): nothing of the set runs here` };
}
