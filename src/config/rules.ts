import { isIP } from 'node:net';
import { normalize } from 'node:path';
import type { RawConfig } from './schema.js';

export interface Problem {
  path: string;
  message: string;
}

// Rules zod's shapes cannot say: one primary and one standby group, unique node names, URLs
// that parse.
export function checkRules(cfg: RawConfig): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });

  const serverUrl = cfg.supervisor['server-url'];
  if (!/^unix:\/\/\/.+/.test(serverUrl) && !isHttpUrl(serverUrl)) {
    add('supervisor.server-url', `expected unix:///path.sock or http://host:port, got "${serverUrl}"`);
  }

  if (cfg.nginx) {
    const groups = cfg.nginx.upstream['node-group'];
    const base = 'nginx.upstream.node-group';
    const names = Object.keys(groups);
    if (names.length === 0) add(base, 'expected at least one group');
    for (const role of ['primary', 'standby'] as const) {
      const having = names.filter((g) => groups[g]?.['default-group'] === role);
      if (names.length > 0 && having.length !== 1) {
        add(base, `expected exactly one group with default-group "${role}", got ${having.length}${having.length ? ` (${having.join(', ')})` : ''}`);
      }
    }
    const seen = new Map<string, string>();
    for (const [g, group] of Object.entries(groups)) {
      if (Object.keys(group.nodes).length === 0) add(`${base}.${g}.nodes`, 'expected at least one node');
      else if (Object.values(group.nodes).every((n) => n.backup))
        add(`${base}.${g}.nodes`, 'expected a node with backup false (nginx refuses an upstream of backups only)');
      for (const [n, node] of Object.entries(group.nodes)) {
        const path = `${base}.${g}.nodes.${n}`;
        const other = seen.get(n);
        if (other) add(path, `node name "${n}" is also used in group "${other}"`);
        seen.set(n, g);
        if (!isHttpUrl(node['health-check-url'])) add(`${path}.health-check-url`, `expected an http(s) URL, got "${node['health-check-url']}"`);
        if (!isHostPort(node['upstream-url'])) add(`${path}.upstream-url`, `expected host:port, got "${node['upstream-url']}"`);
        const hasCmds = node['start-cmd'] !== undefined && node['stop-cmd'] !== undefined;
        if (!hasCmds && node['supervisor-program'] === undefined) {
          add(path, 'expected supervisor-program, or both start-cmd and stop-cmd');
        }
      }
    }
    const verify = cfg.nginx.switch['verify-url'];
    if (verify !== undefined && !isHttpUrl(verify)) add('nginx.switch.verify-url', `expected an http(s) URL, got "${verify}"`);
    const set = cfg.nginx['service-set'];
    if (set !== undefined && !cfg.ha?.['service-sets'][set]) add('nginx.service-set', `"${set}" is not in ha.service-sets`);
  }

  if (cfg.ha) {
    for (const [p, peer] of Object.entries(cfg.ha.peers)) {
      const url = peer['agent-url'];
      if (url !== undefined && !isHttpUrl(url)) add(`ha.peers.${p}.agent-url`, `expected an http(s) URL, got "${url}"`);
      const target = peer['sync-target'];
      if (target?.startsWith('-')) add(`ha.peers.${p}.sync-target`, `must not start with "-" (rsync would read it as an option), got "${target}"`);
      else if (target !== undefined && !/^(rsync:\/\/[^/]+\/\S+|[^\s:/]+@?[^\s:/]*:\/\S*)$/.test(target)) {
        add(`ha.peers.${p}.sync-target`, `expected user@host:/path or rsync://host/module, got "${target}"`);
      }
    }
    const syncing = Object.entries(cfg.ha.peers).filter(([, peer]) => peer['sync-target'] !== undefined);
    if (syncing.length > 0 && cfg.ha.agent['token-file'] === undefined) {
      add('ha.agent.token-file', `required with a sync-target (peer ${syncing.map(([p]) => p).join(', ')}): it signs each pushed registry`);
    }
    // A blue/green-only host may use ha.agent for its agent's API; without nginx, an ha section
    // with no set does nothing at all.
    if (Object.keys(cfg.ha['service-sets']).length === 0 && !cfg.nginx) add('ha.service-sets', 'an ha section needs at least one service set');
    const sync = cfg.ha.sync;
    if (sync['retry-min-ms'] > sync['retry-max-ms']) add('ha.sync.retry-min-ms', `${sync['retry-min-ms']} is above retry-max-ms (${sync['retry-max-ms']})`);
    if (!isHostPort(cfg.ha.agent.listen)) add('ha.agent.listen', `expected host:port, got "${cfg.ha.agent.listen}"`);
    else if (!isLoopback(cfg.ha.agent.listen) && cfg.ha.agent['token-file'] === undefined)
      add('ha.agent.listen', `"${cfg.ha.agent.listen}" is not a loopback address: set ha.agent.token-file too (the API can hold sets)`);
    const q = cfg.ha.quorum;
    if (q) {
      for (const [i, e] of q.endpoints.entries())
        if (!isHttpUrl(e)) add(`ha.quorum.endpoints.${i}`, `expected an etcd client URL http(s)://host:port, got "${e}"`);
      const ttl = q['lease-ttl-ms'];
      if (ttl % 1000 !== 0 || ttl < 1000)
        add('ha.quorum.lease-ttl-ms', `${ttl} is not a whole number of seconds (etcd counts leases in seconds): use 1000, 2000, 3000...`);
      if (q['request-timeout-ms'] * 4 > ttl)
        add('ha.quorum.request-timeout-ms', `${q['request-timeout-ms']} is more than a quarter of lease-ttl-ms (${ttl}): a renewal would not fit in the lease`);
      if (q.prefix !== undefined && (!q.prefix.startsWith('/') || q.prefix.endsWith('/')))
        add('ha.quorum.prefix', `expected a key prefix starting with "/" and not ending with one, got "${q.prefix}"`);
      const tls = q.tls ?? {};
      if ((tls['cert-file'] === undefined) !== (tls['key-file'] === undefined)) add('ha.quorum.tls', 'cert-file and key-file go together');
    }
    const instances = new Map<string, string>();
    const registries = new Map<string, string>();
    const plain = new Set(cfg.supervisor['registry-dirs'].map((d) => normalize(`${d}/`)));
    for (const [s, set] of Object.entries(cfg.ha['service-sets'])) {
      // The name is a folder on every peer (<sync-target>/<set>/).
      if (!/^[\p{L}\p{N}_][\p{L}\p{N}_.-]*$/u.test(s) || s.includes('..')) {
        add(`ha.service-sets.${s}`, `set name must be letters, digits, "_", "-" or "." without "..", got "${s}"`);
      }
      const reg = normalize(`${set.registry}/`);
      const shared = registries.get(reg);
      if (shared) add(`ha.service-sets.${s}.registry`, `"${set.registry}" is also the registry of set "${shared}"`);
      registries.set(reg, s);
      if (plain.has(reg))
        add(
          `ha.service-sets.${s}.registry`,
          `"${set.registry}" is also in supervisor.registry-dirs; a set's registry is managed with the set, list it only here`,
        );
      const other = instances.get(set['vrrp-instance']);
      if (other) add(`ha.service-sets.${s}.vrrp-instance`, `"${set['vrrp-instance']}" is also used by set "${other}"`);
      instances.set(set['vrrp-instance'], s);
      if (set.vip !== undefined && !isIp(set.vip)) add(`ha.service-sets.${s}.vip`, `expected an IP address, got "${set.vip}"`);
    }
  }
  return problems;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function isHostPort(s: string): boolean {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s);
  return m !== null && Number(m[2]) > 0 && Number(m[2]) < 65536;
}

function isLoopback(hostPort: string): boolean {
  const host = hostPort.slice(0, hostPort.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

// An IPv4 or IPv6 address, optionally with a prefix length that fits it.
function isIp(s: string): boolean {
  const [addr = '', bits, extra] = s.split('/');
  const v = isIP(addr);
  if (v === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128);
}
