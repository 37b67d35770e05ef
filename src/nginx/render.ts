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
// With switch.mode both-groups every group is in it, no node is `down` (a stopped one refuses
// connections and Nginx tries the next), each with `max_fails=1 fail_timeout=1s`, so the text
// never changes with roles or health and a switch needs no reload.
// Deterministic (no time stamps), so an unchanged group renders to the same bytes.
export function renderUpstream(nginx: NginxConfig, group: string, health: HealthFile): string {
  const spec = nginx.upstream['node-group'][group];
  if (!spec) throw new Error(`renderUpstream: no group ${group}`);
  const both = nginx.switch.mode === 'both-groups';
  const groups = both ? Object.keys(nginx.upstream['node-group']) : [group];
  const from = both ? `node groups ${groups.map((g) => `"${g}"`).join(', ')} (switch.mode both-groups)` : `node group "${group}"`;
  const lines = [`# Written by supha from ${from}. Do not edit: supha upstream render and supha switch rewrite it.`];
  lines.push(`upstream ${nginx.upstream['upstream-name']} {`);
  for (const g of groups) {
    for (const [name, node] of Object.entries(nginx.upstream['node-group'][g]?.nodes ?? {})) {
      const flags = [both ? ' max_fails=1 fail_timeout=1s' : '', node.backup ? ' backup' : '', !both && health[name]?.status === 'dead' ? ' down' : ''].join(
        '',
      );
      lines.push(`    server ${node['upstream-url']}${flags};  # ${name}`);
    }
  }
  if (nginx.upstream.keepalive > 0) lines.push(`    keepalive ${nginx.upstream.keepalive};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
