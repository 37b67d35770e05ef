import { UserError } from '../errors.js';
import { acquireLock, LockHeld } from './pidlock.js';

const queues = new Map<string, Promise<unknown>>();

// Runs `fn` (a read-modify-write of `path`) whole: calls in this process one at a time per path,
// and a pid lock at `path`.lock holds off other supha processes (agent, CLI, a switch).
export function lockedUpdate<T>(path: string, fn: () => Promise<T>, waitMs = 15_000): Promise<T> {
  const job = (queues.get(path) ?? Promise.resolve()).then(async () => {
    const lockFile = `${path}.lock`;
    const lock = await acquireLock(lockFile, { waitMs }).catch((err: unknown) => {
      if (!(err instanceof LockHeld)) throw err;
      throw new UserError(`${lockFile}: held by pid ${err.pid ?? '?'} for over ${waitMs / 1000}s; is a supha process stuck?`);
    });
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  });
  queues.set(
    path,
    job.catch(() => {}),
  );
  return job;
}
