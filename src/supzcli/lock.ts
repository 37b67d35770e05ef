import { join } from 'node:path';
import { UserError } from '../errors.js';
import { acquireLock, LockHeld, type PidLock } from '../util/pidlock.js';
import { type Ctx, registryDirs } from './context.js';

// How long a second supzcli waits for the first to finish (a stop waits out stopwaitsecs);
// SUPZCLI_LOCK_WAIT (seconds) changes it, 0: do not wait.
const WAIT_MS = 180_000;

export function lockWaitMs(env: NodeJS.ProcessEnv): number {
  const s = Number(env.SUPZCLI_LOCK_WAIT);
  return env.SUPZCLI_LOCK_WAIT !== undefined && env.SUPZCLI_LOCK_WAIT !== '' && Number.isFinite(s) && s >= 0 ? s * 1000 : WAIT_MS;
}

// The lock file of one registry.
export function lockPath(stateDir: string, registry: string): string {
  return join(stateDir, 'locks', `${encodeURIComponent(registry)}.lock`);
}

// Takes <state-dir>/locks/<registry, URI-encoded>.lock for every registry of the config, in one
// order (no two supzcli can each hold one the other waits for). Two supzcli at once act one after
// the other, each on what it sees once it holds them. Returns the release.
export async function lockRegistries(ctx: Ctx, waitMs = lockWaitMs(ctx.io.env)): Promise<() => Promise<void>> {
  const held: PidLock[] = [];
  const release = async () => {
    for (const l of held.reverse()) await l.release();
  };
  try {
    for (const reg of registryDirs(ctx.cfg).sort()) {
      const path = lockPath(ctx.cfg['state-dir'], reg);
      try {
        held.push(await acquireLock(path, { waitMs }));
      } catch (err) {
        if (!(err instanceof LockHeld)) throw err;
        throw new UserError(`another supzcli${err.pid ? ` (pid ${err.pid})` : ''} is changing ${reg} (waited ${waitMs / 1000} s); nothing done, try again`);
      }
    }
  } catch (err) {
    await release();
    throw err;
  }
  return release;
}
