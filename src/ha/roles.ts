import type { Role } from '../agent/module.js';
import type { NotifyState } from '../keepalived/index.js';

// The role a keepalived state asks for. Priority-change and lower-priority notices keep the role.
export function roleOfState(state: NotifyState): Role {
  switch (state) {
    case 'MASTER':
    case 'MASTER_PRIORITY':
    case 'MASTER_RX_LOWER_PRI':
      return 'MASTER';
    case 'BACKUP':
    case 'BACKUP_PRIORITY':
      return 'BACKUP';
    case 'FAULT':
      return 'FAULT';
    case 'STOP':
    case 'DELETED':
      return 'STOP';
  }
}

export interface RealState {
  keepalivedAlive: boolean;
  // Undefined when the set names no VIP.
  vipHere: boolean | undefined;
  // keepalived runs but the agent does not hear it (no FIFO it reads is open in keepalived).
  deaf?: boolean | undefined;
}

// The role to act on: the newest event's, checked against the real state. keepalived not
// running is never MASTER; a MASTER without its VIP is not MASTER; with no event yet (agent just
// started) the VIP, when the set names one, says which.
// Not heard (keepalived runs, but writes its events to no FIFO the agent reads), the last event is
// stale: the VIP says which, and a set with no VIP is stopped here (FAULT: never on two hosts).
export function effectiveRole(desired: Role, real: RealState): { role: Role; why: string } {
  if (!real.keepalivedAlive) return { role: 'STOP', why: 'keepalived is not running' };
  if (real.deaf) {
    if (real.vipHere === undefined) return { role: 'FAULT', why: 'keepalived is not heard and the set has no vip to look at' };
    return real.vipHere
      ? { role: 'MASTER', why: 'keepalived is not heard; the VIP is here' }
      : { role: 'BACKUP', why: 'keepalived is not heard; the VIP is not here' };
  }
  if (desired === 'UNKNOWN') {
    if (real.vipHere === undefined) return { role: 'UNKNOWN', why: 'no event from keepalived yet and no vip to look at' };
    return real.vipHere ? { role: 'MASTER', why: 'no event yet; the VIP is here' } : { role: 'BACKUP', why: 'no event yet; the VIP is not here' };
  }
  if (desired === 'MASTER' && real.vipHere === false) return { role: 'BACKUP', why: 'MASTER event but the VIP is not on this host' };
  return { role: desired, why: 'newest keepalived event' };
}
