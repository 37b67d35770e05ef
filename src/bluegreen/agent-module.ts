import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentContext, AgentModule } from '../agent/module.js';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { checkRound, listNodes, nginxOf } from '../health/round.js';
import { readHealth } from '../health/status.js';
import { healthyPrimaries, nginxTarget, pendingPath, renderUpstream } from '../nginx/index.js';
import type { Logger } from '../util/log.js';
import { acquireLock, LockHeld } from '../util/pidlock.js';
import { bluegreenSet } from './ha.js';
import { lockPath, readJournal, takeLock } from './lock.js';
import { recoverSwitch } from './recover.js';
import { ensureGroupUp, type NodeAction } from './restart.js';
import { readRoles, syncRolesMirror } from './roles.js';
import { renderGroup } from './upstream.js';

interface HealthStatus {
  enabled: boolean;
  primary?: string;
  // The role of nginx.service-set here (blue/green acts only as MASTER).
  role?: string | undefined;
  lastRound?: string;
  nodes?: Record<string, string>;
  actions?: NodeAction[];
  lastError?: string;
}

// The live upstream differs from what the primary group renders to now (or its last install did
// not finish its reload), and the group has a node that can take traffic.
async function renderNeeded(cfg: Config, primary: string): Promise<boolean> {
  const health = await readHealth(cfg);
  const nginx = nginxOf(cfg);
  if (healthyPrimaries(nginx, primary, health).length === 0) return false;
  const t = nginxTarget(cfg);
  const live = await readFile(t.live, 'utf8').catch(() => undefined);
  const pending = await stat(pendingPath(t)).then(
    () => true,
    () => false,
  );
  return pending || live !== renderUpstream(nginx, primary, health);
}

// Anything for a round to do under the lock: a dead primary node, a restart count to reset, a render.
async function needsWork(cfg: Config, primary: string): Promise<boolean> {
  const health = await readHealth(cfg);
  const nodes = listNodes(cfg, primary).map((n) => health[n.name]);
  return nodes.some((h) => h?.status === 'dead' || (h?.['reboot-count'] ?? 0) > 0) || renderNeeded(cfg, primary);
}

// The agent's blue/green part: health checks every health.interval-ms, restarts of dead
// primary nodes (bounded), the upstream re-rendered when a primary node turns dead or back.
// It never switches groups. At start it finishes or rolls back a switch that was killed.
export function createHealthModule(): AgentModule {
  const stopper = new AbortController();
  let loop: Promise<void> | undefined;
  const st: HealthStatus = { enabled: false };

  const tick = async (cfg: Config, log: Logger, ctx: AgentContext) => {
    // NOTE: nodes that are programs of a service set are the HA loop's where the set is not
    // MASTER: no checks (a stopped node would turn dead), no restarts, no render, no recovery.
    const set = bluegreenSet(cfg);
    st.role = set ? ctx.roleOf(set.name) : undefined;
    if (set && st.role !== 'MASTER') return;
    if (set && (await syncRolesMirror(cfg))) log.info({ set: set.name }, 'node-group-status.json updated from the set registry copy');
    const entries = await checkRound(cfg, undefined, stopper.signal);
    st.lastRound = new Date().toISOString();
    st.nodes = Object.fromEntries(entries.map((e) => [e.ref.name, e.health.status]));
    const primary = (await readRoles(cfg)).primary['group-name'];
    st.primary = primary;
    // A journal: a switch runs (holding the lock) or was killed half-way (recovered first, below).
    const journal = await readJournal(cfg);
    if (!journal && !(await needsWork(cfg, primary))) return;
    // Restarts and render only under the lock (taken only when there is work, so that a
    // supha switch is rarely refused because of the agent): a switch or render running holds
    // it, so hands off for this round.
    const lock = await acquireLock(lockPath(cfg)).catch((err: unknown) => {
      if (err instanceof LockHeld) return undefined;
      throw err;
    });
    if (!lock) return;
    try {
      // NOTE: never act on a half-done switch: it is finished or undone from its journal first.
      if (lock.stale || (await readJournal(cfg))) {
        const r = await recoverSwitch(cfg, log);
        if (r !== 'none') log.warn({ result: r }, `a killed switch was found by the health round: ${r}`);
      }
      const now = (await readRoles(cfg)).primary['group-name'];
      st.primary = now;
      st.actions = (await ensureGroupUp({ cfg, log, client: ctx.client }, now, { onlyDead: true })).filter((a) => a.action !== 'ok');
      if (await renderNeeded(cfg, now)) {
        await renderGroup(cfg, now, log);
        log.info({ primary: now }, 'node health changed: upstream re-rendered');
      }
    } finally {
      await lock.release();
    }
  };

  return {
    name: 'bluegreen',
    async start(ctx: AgentContext) {
      const cfg = ctx.cfg;
      if (!cfg.nginx) return;
      st.enabled = true;
      const log = ctx.log.child({ module: 'bluegreen' });
      const signal = AbortSignal.any([ctx.signal, stopper.signal]);
      // With a service set the role is not known yet: the first round as MASTER recovers.
      const lock = bluegreenSet(cfg) ? undefined : await takeLock(cfg, 'agent switch recovery').catch(() => undefined);
      if (lock) {
        try {
          const r = await recoverSwitch(cfg, log);
          if (r !== 'none') log.warn({ result: r }, 'interrupted switch recovered at agent start');
        } catch (err) {
          log.error({ err }, 'could not recover an interrupted switch');
        } finally {
          await lock.release();
        }
      }
      const interval = cfg.nginx.health['interval-ms'];
      loop = (async () => {
        while (!signal.aborted) {
          try {
            await tick(cfg, log, ctx);
            delete st.lastError;
          } catch (err) {
            if (signal.aborted) break;
            st.lastError = errorMessage(err);
            log.error({ err }, 'health round failed');
          }
          await sleep(interval, undefined, { signal }).catch(() => {});
        }
      })();
    },
    async stop() {
      stopper.abort();
      await loop;
    },
    status: () => ({ ...st }),
  };
}
