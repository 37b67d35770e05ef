import type { SyncStatus } from './module.js';

const ago = (iso: string | null, now: number) =>
  iso === null ? 'never' : `${iso.replace(/\.\d+Z$/, 'Z')} (${Math.round((now - Date.parse(iso)) / 1000)}s ago)`;

// `supha sync status`: one line per set and peer, then what needs a person's eye.
export function formatSyncStatus(s: SyncStatus, now = Date.now()): string[] {
  const rows: string[][] = [['SET', 'PEER', 'ROLE', 'STATE', 'LAST PUSH', 'LAG', 'LAST ERROR']];
  const notes: string[] = [];
  for (const [name, set] of Object.entries(s.sets)) {
    if (set.peers.length === 0) rows.push([name, '-', set.role, set.paused ? 'paused' : 'no peers', '-', '-', '-']);
    for (const p of set.peers) {
      const last = p.lastPush ? `${ago(p.lastPush.at, now)}${p.lastPush.ok ? '' : ' failed'}` : 'never';
      rows.push([name, p.peer, set.role, p.state, last, `${p.lagMs} ms`, p.lastError ? `${p.lastError.message} (${ago(p.lastError.at, now)})` : '-']);
      if (p.refused) notes.push(`REFUSED: ${name}: ${p.refused.reason} (since ${p.refused.since})`);
      else if (p.mode?.mode === 'additive') notes.push(`${name}: pushes to ${p.peer} add only: ${p.mode.why}`);
      if (p.splitBrain) notes.push(`SPLIT BRAIN: ${name}: peer ${p.peer} also claims MASTER since ${p.splitBrain.since}; pushes refused until one side yields`);
    }
    if (set.paused) notes.push(`${name}: paused since ${set.pausedSince} (supha sync resume)`);
    for (const r of set.rejected) notes.push(`${name}: ${r.file}: program ${r.program} not loaded: ${r.reason}`);
    for (const q of set.quarantined ?? [])
      notes.push(`QUARANTINED: ${name}: ${q.file} ${q.reason} (since ${q.at}; supha sync restore ${name} ${q.id} to adopt it)`);
    if (set.lastApply?.error) notes.push(`${name}: supervisord update failed: ${set.lastApply.error}`);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
  return [...lines, ...notes];
}
