import type { NginxConfig } from '../config/index.js';
import type { HealthFile } from '../health/status.js';

// Nodes of a group that can take traffic: non-backup and not dead.
export function healthyPrimaries(nginx: NginxConfig, group: string, health: HealthFile): string[] {
  const nodes = nginx.upstream['node-group'][group]?.nodes ?? {};
  return Object.entries(nodes)
    .filter(([name, n]) => !n.backup && health[name]?.status !== 'dead')
    .map(([name]) => name);
}

// The `upstream NAME { … }` block for a group: backups get `backup`, dead nodes `down`.
// Deterministic (no time stamps), so an unchanged group renders to the same bytes.
export function renderUpstream(nginx: NginxConfig, group: string, health: HealthFile): string {
  const spec = nginx.upstream['node-group'][group];
  if (!spec) throw new Error(`renderUpstream: no group ${group}`);
  const lines = [`# Written by supha from node group "${group}". Do not edit: supha upstream render and supha switch rewrite it.`];
  lines.push(`upstream ${nginx.upstream['upstream-name']} {`);
  for (const [name, node] of Object.entries(spec.nodes)) {
    const flags = [node.backup ? ' backup' : '', health[name]?.status === 'dead' ? ' down' : ''].join('');
    lines.push(`    server ${node['upstream-url']}${flags};  # ${name}`);
  }
  if (nginx.upstream.keepalive > 0) lines.push(`    keepalive ${nginx.upstream.keepalive};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
