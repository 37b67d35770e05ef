import type { StatusView } from '../../agent/status-view.js';

const CODES = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;
type Colour = keyof typeof CODES;

const GOOD = new Set(['MASTER', 'RUNNING', 'ok', 'running', 'in-sync']);
const BAD = new Set(['FATAL', 'FAULT', 'STOP', 'failed', 'dead', 'split-brain', 'BACKOFF', 'EXITED', 'retrying']);

// Columns padded to the widest cell (colour codes do not count), two spaces apart.
function table(rows: string[][], paint: (cell: string, col: number, row: number) => string): string[] {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r, i) =>
    r
      .map((cell, c) => {
        const pad = c === r.length - 1 ? '' : ' '.repeat((widths[c] ?? 0) - cell.length);
        return paint(cell, c, i) + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

// The agent's part of `supha status`: keepalived, holds, then one table each for the sets,
// replication per peer, the blue/green nodes and the last transitions. Colour only when asked.
export function formatAgentTables(v: StatusView, opts: { colour: boolean; now?: number }): string[] {
  const now = opts.now ?? Date.now();
  const c = (s: string, colour: Colour) => (opts.colour ? `\u001b[${CODES[colour]}m${s}\u001b[0m` : s);
  const word = (s: string) => (GOOD.has(s) ? c(s, 'green') : BAD.has(s) ? c(s, 'red') : s);
  const paint = (cell: string, _col: number, row: number) => (row === 0 ? c(cell, 'bold') : word(cell));
  const out: string[] = [];
  const ka = !v.keepalived.alive
    ? c(`keepalived NOT running (${v.keepalived.why ?? 'unknown'})`, 'red')
    : v.keepalived.deaf
      ? c(`keepalived running but NOT HEARD: ${v.keepalived.deaf}`, 'red')
      : `keepalived running (pid ${v.keepalived.pid})`;
  out.push(`agent on ${v.node}: ${ka}${v.supervisord.ok ? '' : `; ${c(`supervisord: ${v.supervisord.error}`, 'red')}`}`);
  for (const [k, h] of Object.entries(v.holds)) out.push(c(`HOLD ${k === '*' ? 'all sets' : k} since ${h.since}: ${h.reason}`, 'yellow'));
  // Older agents do not send it.
  for (const u of v.unknownInstances ?? [])
    out.push(c(`  keepalived instance ${u.instance}: ${u.events} events (last ${u.lastState}, ${ago(u.lastAt, now)}), no set follows it: ignored`, 'yellow'));
  if (v.unknownInstanceEventsUnlisted) out.push(c(`  and ${v.unknownInstanceEventsUnlisted} events for further instances no set follows: ignored`, 'yellow'));
  const sets = Object.values(v.sets);
  if (sets.length > 0) {
    const rows = [['SET', 'INSTANCE', 'ROLE', 'DESIRED', 'VIP', 'PROGRAMS', 'WHY']];
    for (const s of sets) {
      const vip = s.vip === undefined ? '-' : `${s.vip} ${s.vipHere ? 'here' : 'not here'}`;
      const progs = `${s.programs.running}/${s.programs.total} running${s.programs.fatal ? `, ${s.programs.fatal} FATAL` : ''}`;
      const role = `${s.roleText ?? s.role}${s.held ? ' (held)' : ''}${s.converged === false && s.lastError ? ' (not converged)' : ''}`;
      rows.push([s.name, s.instance, role, s.desired, vip, progs, s.why]);
    }
    out.push('', ...table(rows, paint));
    // Older agents send neither health nor problems.
    for (const s of sets) {
      if (s.health && !s.health.healthy) out.push(c(`  ${s.name} UNHEALTHY: ${s.health.why}`, 'red'));
      for (const p of s.problems ?? []) out.push(c(`  ${s.name} registry entry skipped: ${p.path}: ${p.message}`, 'yellow'));
      if (s.lastError) out.push(c(`  ${s.name} last pass failed: ${s.lastError}`, 'red'));
    }
  }
  const quorum = sets.filter((s) => s.quorum);
  if (quorum.length > 0) {
    const rows = [['SET', 'QUORUM', 'HOLDER', 'SINCE', 'LEASE LEFT', 'LAST RENEWAL', 'FENCES', 'WHY']];
    for (const s of quorum) {
      const q = s.quorum!;
      rows.push([
        s.name,
        q.state,
        q.holder ?? '-',
        q.since ?? '-',
        q.leaseRemainingMs === null ? '-' : `${q.leaseRemainingMs} ms`,
        ago(q.lastRenewalAt, now),
        String(q.fences),
        q.waiting ?? q.lastError ?? '-',
      ]);
    }
    out.push('', ...table(rows, paint));
    for (const s of quorum) if (s.quorum?.ttlTooShort) out.push(c(`  ${s.name} quorum TTL too short: ${s.quorum.ttlTooShort}`, 'red'));
    const eps = (v.modules.quorum as { endpoints?: { endpoint: string; ok?: boolean; error?: string }[] } | undefined)?.endpoints ?? [];
    for (const e of eps)
      out.push(e.ok === false ? c(`  etcd ${e.endpoint} DOWN: ${e.error ?? ''}`, 'red') : `  etcd ${e.endpoint} ${e.ok ? 'answers' : 'not asked yet'}`);
  }
  const peers = sets.flatMap((s) => s.replication.map((p) => ({ set: s.name, ...p })));
  if (peers.length > 0) {
    const rows = [['SET', 'PEER', 'STATE', 'LAG', 'LAST SUCCESS', 'FAILURES', 'LAST ERROR']];
    for (const p of peers)
      rows.push([p.set, p.peer, p.splitBrain ? 'split-brain' : p.state, `${p.lagMs} ms`, ago(p.lastSuccessAt, now), String(p.failures), p.lastError ?? '-']);
    out.push('', ...table(rows, paint));
  }
  const nodes = v.bluegreen?.groups.flatMap((g) => g.nodes.map((n) => ({ group: g.name, role: g.role, ...n }))) ?? [];
  if (nodes.length > 0) {
    const rows = [['GROUP', 'ROLE', 'NODE', 'HEALTH', 'CODE', 'TIME', 'FAILS']];
    for (const n of nodes) rows.push([n.group, n.role, n.name, n.status, String(n.code), `${n.seconds.toFixed(3)}s`, String(n.fails)]);
    out.push('', ...table(rows, paint));
  }
  if (v.transitions.length > 0) {
    const rows = [['AT', 'SET', 'FROM', 'TO', 'OUTCOME', 'STARTED', 'STOPPED', 'TOOK', 'TRIGGER', 'WHY']];
    for (const t of v.transitions.slice(-10)) {
      const why = t.why + (t.failed.length ? `; ${t.failed.join('; ')}` : '');
      rows.push([t.at, t.set, t.from, t.to, t.outcome, String(t.started), String(t.stopped), `${t.ms} ms`, t.trigger, why]);
    }
    out.push('', ...table(rows, paint));
  }
  return out;
}
