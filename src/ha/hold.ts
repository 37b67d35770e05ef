import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';

export interface Hold {
  reason: string;
  since: string;
}

// All sets held when the key is ALL.
export const ALL = '*';

// The seed's switch lock: while a set (or every set) is held, the agent logs transitions but does
// not act on them. Kept in <state-dir>/hold.json so it survives an agent restart.
export class HoldStore {
  readonly path: string;
  private holds: Record<string, Hold> = {};

  constructor(stateDir: string) {
    this.path = join(stateDir, 'hold.json');
  }

  async load(): Promise<void> {
    try {
      const data = JSON.parse(await readFile(this.path, 'utf8')) as { holds?: Record<string, Hold> };
      this.holds = data.holds ?? {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${this.path}: unreadable hold file: ${(err as Error).message}`);
      this.holds = {};
    }
  }

  heldBy(set: string): Hold | undefined {
    return this.holds[set] ?? this.holds[ALL];
  }

  all(): Record<string, Hold> {
    return { ...this.holds };
  }

  // The file first: a hold that could not be written is not held.
  async hold(set: string | undefined, reason: string): Promise<void> {
    const next = { ...this.holds, [set ?? ALL]: { reason, since: new Date().toISOString() } };
    await writeJsonAtomic(this.path, { holds: next });
    this.holds = next;
  }

  // Releases one set, or with no set every hold. Returns what was released.
  async release(set: string | undefined): Promise<string[]> {
    const keys = set === undefined ? Object.keys(this.holds) : Object.keys(this.holds).filter((k) => k === set);
    const next = { ...this.holds };
    for (const k of keys) delete next[k];
    await writeJsonAtomic(this.path, { holds: next });
    this.holds = next;
    return keys;
  }
}
