import type { RegistryEntry } from '../registry/index.js';

// Time the stop of a set may take beyond supervisord's own waits (the RPCs, one per batch).
export const STOP_OVERHEAD_MS = 250;
// Kept between "the set is down" and the earliest moment etcd may expire the lease.
export const FENCE_MARGIN_MS = 250;

// How long stopping a set's programs can take: stopAll stops one priority batch after another
// (highest first), the processes of a batch at once, each waiting up to its stopwaitsecs before
// supervisord sends SIGKILL. So: per batch the longest stopwaitsecs, summed, plus the RPCs.
export function stopBudgetMs(entries: readonly RegistryEntry[]): { ms: number; worst: string | undefined } {
  const groupOf = new Map<string, RegistryEntry>();
  for (const g of entries.filter((e) => e.kind === 'group')) for (const p of g.programs) groupOf.set(p, g);
  const byPriority = new Map<number, { secs: number; name: string }>();
  for (const e of entries) {
    if (e.kind !== 'program' && e.kind !== 'fcgi-program') continue;
    const prio = groupOf.get(e.name)?.priority ?? e.priority;
    const cur = byPriority.get(prio);
    if (!cur || e.stopwaitsecs > cur.secs) byPriority.set(prio, { secs: e.stopwaitsecs, name: e.name });
  }
  let ms = 0;
  let worst: { secs: number; name: string } | undefined;
  for (const b of byPriority.values()) {
    ms += b.secs * 1000 + STOP_OVERHEAD_MS;
    if (!worst || b.secs > worst.secs) worst = b;
  }
  return { ms, worst: worst && `${worst.name} (stopwaitsecs ${worst.secs})` };
}

// The timing a lease TTL gives: renew every quarter of it; fence (stop the set) when the last
// renewal is so old that the stop would otherwise not end before the lease can expire. The fence
// never comes before two renewals could have failed (TTL/2): a TTL too short for the stop budget
// (`tooShort`, refused by config check and at agent start, see quorumProblems) fences at TTL/2,
// when the stop may outlast the lease by `overMs`; it never fences a healthy holder.
export function leaseTiming(ttlMs: number, budgetMs: number): { renewMs: number; fenceAfterMs: number; tooShort: boolean; overMs: number } {
  const renewMs = Math.floor(ttlMs / 4);
  const fits = ttlMs - budgetMs - FENCE_MARGIN_MS;
  const fenceAfterMs = Math.max(fits, 2 * renewMs);
  return { renewMs, fenceAfterMs, tooShort: fits < 2 * renewMs, overMs: Math.max(0, fenceAfterMs + budgetMs + FENCE_MARGIN_MS - ttlMs) };
}

// The shortest TTL (whole seconds, as etcd counts) that fits the budget.
export function minTtlMs(budgetMs: number): number {
  // fenceAfter >= 2 * ttl/4  <=>  ttl - budget - margin >= ttl/2  <=>  ttl >= 2 * (budget + margin)
  return Math.ceil((2 * (budgetMs + FENCE_MARGIN_MS)) / 1000) * 1000;
}
