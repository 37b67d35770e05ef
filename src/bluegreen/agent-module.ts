import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentContext, AgentModule } from '../agent/module.js';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { checkRound } from '../health/round.js';
import { readHealth } from '../health/status.js';
import { healthyPrimaries, nginxTarget, pendingPath, renderUpstream } from '../nginx/index.js';
import type { Logger } from '../util/log.js';
import { lockPath, takeLock } from './lock.js';
import { acquireLock, LockHeld } from './pidlock.js';
import { recoverSwitch } from './recover.js';
import { ensureGroupUp, type NodeAction } from './restart.js';
import { readRoles } from './roles.js';
import { renderGroup } from './upstream.js';

interface HealthStatus {
  enabled: boolean;
  primary?: string;
  lastRound?: string;
  nodes?: Record<string, string>;
  actions?: NodeAction[];
  lastError?: string;
}

// The agent's blue/green part: health checks every health.interval-ms, restarts of dead
// primary nodes (bounded), the upstream re-rendered when a primary node turns dead or back.
// It never switches groups. At start it finishes or rolls back a switch that was killed.
export function createHealthModule(): AgentModule {
  const stopper = new AbortController();
  let loop: Promise<void> | undefined;
  const st: HealthStatus = { enabled: false };

  const tick = async (cfg: Config, log: Logger, ctx: AgentContext) => {
    const entries = await checkRound(cfg, undefined, stopper.signal);
    st.lastRound = new Date().toISOString();
    st.nodes = Object.fromEntries(entries.map((e) => [e.ref.name, e.health.status]));
    // Restarts and render only under the lock: a switch or render running holds it, so hands off
    // for this round.
    const lock = await acquireLock(lockPath(cfg)).catch((err: unknown) => {
      if (err instanceof LockHeld) return undefined;
      throw err;
    });
    if (!lock) return;
    try {
      const primary = (await readRoles(cfg)).primary['group-name'];
      st.primary = primary;
      st.actions = (await ensureGroupUp({ cfg, log, client: ctx.client }, primary, { onlyDead: true })).filter((a) => a.action !== 'ok');
      const health = await readHealth(cfg);
      const nginx = cfg.nginx!;
      const text = renderUpstream(nginx, primary, health);
      const live = await readFile(nginxTarget(cfg).live, 'utf8').catch(() => undefined);
      const pending = await stat(pendingPath(nginxTarget(cfg))).then(
        () => true,
        () => false,
      );
      if ((live === text && !pending) || healthyPrimaries(nginx, primary, health).length === 0) return;
      await renderGroup(cfg, primary, log);
      log.info({ primary }, 'node health changed: upstream re-rendered');
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
      const lock = await takeLock(cfg, 'agent switch recovery').catch(() => undefined);
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
