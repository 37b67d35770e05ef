import type { NginxConfig } from '../config/index.js';
import type { HealthFile } from '../health/status.js';

// Nodes of a group that can take traffic: non-backup and not dead.
export function healthyPrimaries(nginx: NginxConfig, group: string, health: HealthFile): string[] {
  const nodes = nginx.upstream['node-group'][group]?.nodes ?? {};
  return Object.entries(nodes)
    .filter(([name, n]) => !n.backup && health[name]?.status !== 'dead')
    .map(([name]) => name);
}

// Config key -> `server` parameter (the node's value, else the group's).
const PARAMS = [
  ['weight', 'weight'],
  ['max-fails', 'max_fails'],
  ['fail-timeout', 'fail_timeout'],
] as const;

// The `upstream NAME { … }` block for a group: server parameters, backups get `backup`, dead
// nodes `down`. Names and values are as the schema let them through (no directive syntax).
// Deterministic (no time stamps), so an unchanged group renders to the same bytes.
export function renderUpstream(nginx: NginxConfig, group: string, health: HealthFile): string {
  const spec = nginx.upstream['node-group'][group];
  if (!spec) throw new Error(`renderUpstream: no group ${group}`);
  const lines = [`# Written by supha from node group "${group}". Do not edit: supha upstream render and supha switch rewrite it.`];
  lines.push(`upstream ${nginx.upstream['upstream-name']} {`);
  for (const [name, node] of Object.entries(spec.nodes)) {
    const params = [
      ...PARAMS.flatMap(([key, directive]) => {
        const v = node[key] ?? spec[key];
        return v === undefined ? [] : [`${directive}=${v}`];
      }),
      ...(node.backup ? ['backup'] : []),
      ...(health[name]?.status === 'dead' ? ['down'] : []),
    ];
    lines.push(`    server ${[node['upstream-url'], ...params].join(' ')};  # ${name}`);
  }
  if (nginx.upstream.keepalive > 0) lines.push(`    keepalive ${nginx.upstream.keepalive};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
