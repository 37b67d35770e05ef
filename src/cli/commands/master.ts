import { askAgent, type ControlRequest, controlSocketPath } from '../../agent/index.js';
import { bluegreenSet, requireMaster } from '../../bluegreen/ha.js';
import type { Config } from '../../config/index.js';

// Blue/green work with nginx.service-set (switch, rollback, upstream render, nodes start): refused
// with one line unless the agent here acts as MASTER of the set.
export async function checkMaster(cfg: Config, what: string): Promise<void> {
  const set = bluegreenSet(cfg);
  if (!set) return;
  const res = await askAgent(controlSocketPath(cfg), { op: 'status' }, 3_000).catch(() => undefined);
  const role = res?.ok ? (res.status as { sets?: Record<string, { role?: string }> }).sets?.[set.name]?.role : undefined;
  requireMaster(cfg, what, role ?? `nothing (no agent answers on ${controlSocketPath(cfg)})`);
}

// Tells the agent, when one runs here, what a command did (its /metrics); never fails the command.
export async function tellAgent(cfg: Config, req: ControlRequest): Promise<void> {
  if (!cfg.ha) return;
  await askAgent(controlSocketPath(cfg), req, 1_000).catch(() => undefined);
}
