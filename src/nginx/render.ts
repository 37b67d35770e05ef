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

// both-groups: a refused server is out for one second only, so traffic follows a switch at once.
const BOTH_DEFAULTS: Partial<Record<(typeof PARAMS)[number][0], string | number>> = { 'max-fails': 1, 'fail-timeout': '1s' };

// The `upstream NAME { … }` block for a group: server parameters, backups get `backup`, dead
// nodes `down`. Names and values are as the schema let them through (no directive syntax).
// With switch.mode both-groups every group is in it, no node is `down` (a stopped one refuses
// connections and Nginx tries the next), each with `max_fails=1 fail_timeout=1s` unless the node
// or group says otherwise, so the text never changes with roles or health and a switch needs no
// reload.
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
    const gs = nginx.upstream['node-group'][g];
    for (const [name, node] of Object.entries(gs?.nodes ?? {})) {
      const given = (key: (typeof PARAMS)[number][0]) => node[key] ?? gs?.[key];
      const params = [
        ...PARAMS.flatMap(([key, directive]) => {
          const v = given(key) ?? (both ? BOTH_DEFAULTS[key] : undefined);
          return v === undefined ? [] : [`${directive}=${v}`];
        }),
        ...(node.backup ? ['backup'] : []),
        ...(!both && health[name]?.status === 'dead' ? ['down'] : []),
      ];
      lines.push(`    server ${[node['upstream-url'], ...params].join(' ')};  # ${name}`);
    }
  }
  if (nginx.upstream.keepalive > 0) lines.push(`    keepalive ${nginx.upstream.keepalive};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
