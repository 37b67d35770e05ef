import type { Config, NginxConfig, NodeConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import { checkUrl, mapLimit } from './check.js';
import { applyCheck, type HealthFile, type NodeHealth, updateHealth } from './status.js';

export interface NodeRef {
  name: string;
  group: string;
  node: NodeConfig;
}

export function nginxOf(cfg: Config): NginxConfig {
  if (!cfg.nginx) throw new UsageError(`${cfg.configPath}: no nginx section (blue/green needs nginx.upstream.node-group)`);
  return cfg.nginx;
}

// Every node of every group, in config order; `group` limits it to one group.
export function listNodes(cfg: Config, group?: string): NodeRef[] {
  const groups = nginxOf(cfg).upstream['node-group'];
  if (group !== undefined && !groups[group]) throw new UsageError(`no node group "${group}" in nginx.upstream.node-group`);
  const out: NodeRef[] = [];
  for (const [g, spec] of Object.entries(groups)) {
    if (group !== undefined && g !== group) continue;
    for (const [name, node] of Object.entries(spec.nodes)) out.push({ name, group: g, node });
  }
  return out;
}

export interface RoundEntry {
  ref: NodeRef;
  health: NodeHealth;
  error?: string;
}

// One round of checks of `nodes` (default: all), straight to each node, bounded concurrency;
// node-health-status.json updated in one atomic write.
export async function checkRound(cfg: Config, nodes: NodeRef[] = listNodes(cfg), signal?: AbortSignal): Promise<RoundEntry[]> {
  const h = nginxOf(cfg).health;
  const results = await mapLimit(nodes, h.concurrency, (ref) => checkUrl(ref.node['health-check-url'], h['timeout-ms'], signal));
  const now = new Date();
  let file: HealthFile = {};
  file = await updateHealth(cfg, (f) => {
    nodes.forEach((ref, i) => {
      const r = results[i];
      if (r) f[ref.name] = applyCheck(f[ref.name], ref.node['health-check-url'], r, h['fail-threshold'], now);
    });
  });
  return nodes.map((ref, i) => {
    const err = results[i]?.error;
    const entry: RoundEntry = { ref, health: file[ref.name] as NodeHealth };
    if (err !== undefined) entry.error = err;
    return entry;
  });
}

// The table `supha nodes check` prints.
export function formatRound(entries: RoundEntry[], roleOf: (group: string) => string): string[] {
  const rows = [['NODE', 'GROUP', 'STATUS', 'CODE', 'TIME', 'FAILS', 'REBOOTS', 'URL']];
  for (const e of entries) {
    const h = e.health;
    rows.push([
      e.ref.name,
      `${e.ref.group} (${roleOf(e.ref.group)})`,
      h.status,
      String(h['last-response-code']),
      `${h['last-response-time'].toFixed(3)}s`,
      String(h['fail-count']),
      String(h['reboot-count']),
      h['health-check-url'] + (e.error ? `  (${e.error})` : ''),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  '));
}
