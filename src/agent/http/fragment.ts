import type { StatusView } from '../status-view.js';

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function table(cls: string, head: string[], rows: string[][], attrs: string[] = []): string {
  if (rows.length === 0) return `<p class="none">none</p>`;
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const trs = rows.map((r, i) => `<tr${attrs[i] ?? ''}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

const state = (s: string) => `<span class="st st-${esc(s)}">${esc(s)}</span>`;

function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

// The page's content, rendered on the server: the first load embeds it, the script swaps in a
// fresh copy from /status.html every few seconds.
export function renderFragment(v: StatusView, now = Date.now()): string {
  const out: string[] = [];
  const ka = !v.keepalived.alive
    ? `<b class="bad">keepalived NOT running</b> (${esc(v.keepalived.why)})`
    : v.keepalived.deaf
      ? `<b class="bad">keepalived running but NOT HEARD</b> (${esc(v.keepalived.deaf)})`
      : `keepalived running (pid ${esc(v.keepalived.pid)})`;
  const sv = v.supervisord.ok ? 'supervisord answers' : `<b class="bad">supervisord: ${esc(v.supervisord.error)}</b>`;
  out.push(
    `<p class="summary">node <b id="node">${esc(v.node)}</b> · ${ka} · ${sv} · updated <span id="updated">${esc(new Date(now).toISOString())}</span></p>`,
  );
  for (const [k, h] of Object.entries(v.holds)) out.push(`<p class="hold">HOLD ${esc(k === '*' ? 'all sets' : k)} since ${esc(h.since)}: ${esc(h.reason)}</p>`);
  for (const u of v.unknownInstances ?? [])
    out.push(`<p class="hold">keepalived instance ${esc(u.instance)}: ${esc(u.events)} events (last ${esc(u.lastState)}), no set follows it: ignored</p>`);
  const sets = Object.values(v.sets);
  out.push('<h2>Service sets</h2>');
  out.push(
    table(
      'sets',
      ['set', 'VRRP instance', 'role here', 'desired', 'VIP', 'programs', 'why'],
      sets.map((s) => [
        esc(s.name),
        esc(s.instance),
        `<span class="role role-${esc(s.role)}">${esc(s.roleText ?? s.role)}</span>${s.held ? ` <b class="bad">held</b> (would be ${esc(s.effective)})` : ''}${s.bothMayRun ? ' <b class="bad">both hosts may run it</b>' : ''}${s.converged === false && s.lastError ? ' <b class="bad">not converged</b>' : ''}`,
        esc(s.desired),
        s.vip === undefined ? '-' : `${esc(s.vip)} ${s.vipHere ? '<b>here</b>' : 'not here'}`,
        `${s.programs.running}/${s.programs.total} running${s.programs.fatal ? ` <b class="bad">${s.programs.fatal} FATAL</b>` : ''}`,
        esc(s.why),
      ]),
      sets.map((s) => ` data-set="${esc(s.name)}"`),
    ),
  );
  out.push('<h2>Programs</h2>');
  const progs = sets.flatMap((s) => s.programList.map((p) => ({ set: s.name, ...p })));
  out.push(
    table(
      'programs',
      ['set', 'program', 'state', 'pid', 'uptime'],
      progs.map((p) => [esc(p.set), esc(p.name), state(p.state), p.pid ? esc(p.pid) : '-', p.uptime ? `${p.uptime} s` : '-']),
    ),
  );
  const quorum = sets.filter((s) => s.quorum);
  if (quorum.length > 0) {
    out.push('<h2>Quorum (etcd)</h2>');
    out.push(
      table(
        'quorum',
        ['set', 'state', 'holder', 'since', 'lease left', 'last renewal', 'fences', 'why'],
        quorum.map((s) => {
          const q = s.quorum!;
          return [
            esc(s.name),
            q.state === 'waiting' ? '<b class="bad">waiting</b>' : state(q.state),
            esc(q.holder ?? '-'),
            esc(q.since ?? '-'),
            q.leaseRemainingMs === null ? '-' : `${q.leaseRemainingMs} ms`,
            ago(q.lastRenewalAt, now),
            String(q.fences),
            esc(q.waiting ?? q.lastError ?? '-'),
          ];
        }),
      ),
    );
    const eps = (v.modules.quorum as { endpoints?: { endpoint: string; ok?: boolean; error?: string }[] } | undefined)?.endpoints ?? [];
    for (const e of eps)
      out.push(
        `<p${e.ok === false ? ' class="bad"' : ''}>etcd ${esc(e.endpoint)}: ${e.ok === false ? `DOWN: ${esc(e.error ?? '')}` : e.ok ? 'answers' : 'not asked yet'}</p>`,
      );
  }
  out.push('<h2>Replication</h2>');
  const peers = sets.flatMap((s) => s.replication.map((p) => ({ set: s.name, ...p })));
  out.push(
    table(
      'replication',
      ['set', 'peer', 'state', 'lag', 'last success', 'failures', 'last error'],
      peers.map((p) => [
        esc(p.set),
        esc(p.peer),
        p.splitBrain ? '<b class="bad">SPLIT BRAIN</b>' : state(p.state),
        `${p.lagMs} ms`,
        ago(p.lastSuccessAt, now),
        String(p.failures),
        esc(p.lastError ?? '-'),
      ]),
    ),
  );
  if (v.bluegreen) {
    out.push('<h2>Nginx groups</h2>');
    if (v.bluegreen.error) out.push(`<p class="bad">${esc(v.bluegreen.error)}</p>`);
    const rows = v.bluegreen.groups.flatMap((g) =>
      g.nodes.map((n) => [
        esc(g.name),
        esc(g.role),
        esc(n.name),
        state(n.status),
        String(n.code),
        `${n.seconds.toFixed(3)} s`,
        String(n.fails),
        esc(n.checkedAt),
      ]),
    );
    out.push(table('nodes', ['group', 'role', 'node', 'health', 'code', 'time', 'fails', 'checked'], rows));
  }
  out.push('<h2>Last transitions</h2>');
  const ts = [...v.transitions].reverse();
  out.push(
    table(
      'transitions',
      ['at', 'set', 'from → to', 'outcome', 'trigger', 'why', 'took'],
      ts.map((t) => [
        esc(t.at),
        esc(t.set),
        `${esc(t.from)} → ${esc(t.to)}`,
        state(t.outcome),
        esc(t.trigger),
        esc(t.why + (t.failed.length ? `; ${t.failed.join('; ')}` : '')),
        `${t.ms} ms`,
      ]),
    ),
  );
  return out.join('\n');
}
