import type { AgentView } from './view.js';

const ROLES = ['MASTER', 'BACKUP', 'FAULT', 'STOP', 'UNKNOWN'] as const;

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

// Prometheus text exposition of the agent's state.
export function renderMetrics(agent: AgentView): string {
  const out: string[] = [];
  const r = agent.reconciler;
  out.push('# HELP supha_keepalived_up Whether keepalived runs on this node (pid file names a live process).', '# TYPE supha_keepalived_up gauge');
  out.push(`supha_keepalived_up ${r.keepalived.alive ? 1 : 0}`);
  out.push('# HELP supha_set_role The role this node acts on for a service set.', '# TYPE supha_set_role gauge');
  for (const s of agent.sets.values()) for (const role of ROLES) out.push(`supha_set_role{set="${esc(s.name)}",role="${role}"} ${s.acted === role ? 1 : 0}`);
  out.push('# HELP supha_set_held Whether the set is held (transitions not acted on).', '# TYPE supha_set_held gauge');
  for (const s of agent.sets.values()) out.push(`supha_set_held{set="${esc(s.name)}"} ${s.held ? 1 : 0}`);
  out.push('# HELP supha_set_programs_running RUNNING programs of the set on this node.', '# TYPE supha_set_programs_running gauge');
  for (const s of agent.sets.values()) out.push(`supha_set_programs_running{set="${esc(s.name)}"} ${s.programs.running}`);
  out.push('# HELP supha_set_programs_fatal FATAL programs of the set on this node.', '# TYPE supha_set_programs_fatal gauge');
  for (const s of agent.sets.values()) out.push(`supha_set_programs_fatal{set="${esc(s.name)}"} ${s.programs.fatal}`);
  out.push('# HELP supha_events_total keepalived events received.', '# TYPE supha_events_total counter', `supha_events_total ${agent.eventsIn}`);
  out.push(
    '# HELP supha_reconcile_passes_total Reconcile passes run.',
    '# TYPE supha_reconcile_passes_total counter',
    `supha_reconcile_passes_total ${r.passes}`,
  );
  out.push('# HELP supha_reconcile_last_seconds Duration of the last reconcile pass.', '# TYPE supha_reconcile_last_seconds gauge');
  out.push(`supha_reconcile_last_seconds ${(r.lastPassMs / 1000).toFixed(4)}`);
  for (const m of agent.modules) out.push(...(m.metrics?.() ?? []));
  return `${out.join('\n')}\n`;
}
