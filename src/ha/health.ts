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
  // supervisord's processes, or why they are not known (supervisord down or hung).
  infos: readonly Pick<ProcessInfo, 'group' | 'name' | 'statename'>[] | { error: string };
  // Why the set's last pass failed, if it did.
  passError: string | undefined;
}

export interface Health {
  healthy: boolean;
  why: string;
}

// Healthy means the desired role is reached. A node keepalived makes MASTER (or that has the VIP)
// is healthy only while every program of the set is RUNNING or STARTING (supervisord says when a
// start failed: BACKOFF, FATAL; a new MASTER's programs are STARTING when its pass ends, and
// counting that as sick put the instance in FAULT through the track file, again and again); any other role is healthy (a
// non-MASTER's FATAL programs do not count). Held, the role last reached is the one that counts.
// With no event yet and no VIP to look at (UNKNOWN), only a set that runs whole is healthy: this
// may be the MASTER, and a MASTER running nothing must not keep the VIP.
export function healthOf(h: HealthInput): Health {
  const unknown = !h.held && h.effective === 'UNKNOWN';
  const wantMaster = h.held ? h.acted === 'MASTER' : h.effective === 'MASTER' || (h.desired === 'MASTER' && h.keepalivedAlive);
  if (!wantMaster && !unknown) return { healthy: true, why: `not MASTER (${h.held ? `held, ${h.acted}` : h.effective})` };
  const role = unknown ? 'no keepalived event yet and no vip' : 'MASTER';
  if ('error' in h.infos) return { healthy: false, why: `${role}: supervisord: ${h.infos.error}` };
  if (wantMaster && h.effective !== 'MASTER' && !h.held) return { healthy: false, why: `keepalived says MASTER but ${h.effective} here (no VIP)` };
  const groups = new Set(h.groups);
  const mine = h.infos.filter((p) => groups.has(p.group));
  const starting = mine.filter((p) => p.statename === 'STARTING').length;
  const bad = mine
    .filter((p) => p.statename !== 'RUNNING' && p.statename !== 'STARTING')
    .map((p) => `${p.group === p.name ? p.name : `${p.group}:${p.name}`} ${p.statename}`);
  const missing = [...groups].filter((g) => !mine.some((p) => p.group === g)).map((g) => `${g} not loaded`);
  const problems = [...bad, ...missing];
  if (problems.length > 0) {
    const shown = problems.length > 5 ? `${problems.slice(0, 5).join(', ')} and ${problems.length - 5} more` : problems.join(', ');
    return { healthy: false, why: `${role}, not converged: ${shown}` };
  }
  if (h.passError !== undefined) return { healthy: false, why: `${role}, last pass failed: ${h.passError}` };
  if (starting > 0) return { healthy: true, why: `${role}: ${mine.length - starting} of ${mine.length} programs RUNNING, ${starting} starting` };
  return { healthy: true, why: `${role}: all ${mine.length} programs RUNNING` };
}
