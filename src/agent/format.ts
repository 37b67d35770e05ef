import type { SetState, Transition } from './sets.js';

// What `supha status` prints about the agent, for a person.
export function formatAgentStatus(st: {
  node: string;
  keepalived: { alive: boolean; pid?: number; why?: string };
  holds: Record<string, { reason: string; since: string }>;
  sets: Record<string, SetState & { role: string }>;
  transitions: Transition[];
}): string[] {
  const out: string[] = [];
  out.push(`agent on ${st.node}: keepalived ${st.keepalived.alive ? `running (pid ${st.keepalived.pid})` : `NOT running (${st.keepalived.why ?? 'unknown'})`}`);
  for (const [k, h] of Object.entries(st.holds)) out.push(`  HOLD ${k === '*' ? 'all sets' : k} since ${h.since}: ${h.reason}`);
  for (const s of Object.values(st.sets)) {
    const vip = s.vip === undefined ? 'no vip' : s.vipHere ? `VIP ${s.vip} here` : `VIP ${s.vip} not here`;
    const held = s.held ? `, held (would be ${s.effective})` : '';
    out.push(
      `  set ${s.name} (${s.instance}): ${s.role}${held}; ${vip}; ${s.programs.running}/${s.programs.total} RUNNING${s.programs.fatal ? `, ${s.programs.fatal} FATAL` : ''}; ${s.why}`,
    );
    // Older agents send neither field.
    if (s.health && !s.health.healthy) out.push(`    UNHEALTHY: ${s.health.why}`);
    for (const p of s.problems ?? []) out.push(`    registry entry skipped: ${p.path}: ${p.message}`);
    if (s.lastError) out.push(`    last pass failed: ${s.lastError}`);
  }
  if (st.transitions.length > 0) out.push('  last transitions:');
  for (const t of st.transitions.slice(-10)) {
    out.push(
      `    ${t.at} ${t.set} ${t.from} -> ${t.to} (${t.trigger}) ${t.outcome}: started ${t.started}, stopped ${t.stopped} in ${t.ms} ms${t.failed.length ? `; ${t.failed.join('; ')}` : ''}`,
    );
  }
  return out;
}
