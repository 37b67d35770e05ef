import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';

// The seed's sync lock, done right: pushes wait while paused, the watcher keeps running, resume
// pushes what waited. Kept in a file so it survives an agent restart.
export interface PauseState {
  // Every set paused (supha sync pause without --set).
  all?: { since: string } | undefined;
  sets: Record<string, { since: string }>;
}

export function pauseFile(stateDir: string): string {
  return join(stateDir, 'sync', 'pause.json');
}

export class PauseStore {
  private state: PauseState = { sets: {} };

  constructor(readonly file: string) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const data = JSON.parse(text) as Partial<PauseState>;
      this.state = { all: data.all, sets: data.sets ?? {} };
    } catch (err) {
      throw new UserError(`${this.file}: not valid JSON (${(err as Error).message}); fix or delete it`);
    }
  }

  isPaused(set: string): boolean {
    return this.state.all !== undefined || this.state.sets[set] !== undefined;
  }

  since(set: string): string | undefined {
    return this.state.all?.since ?? this.state.sets[set]?.since;
  }

  snapshot(): PauseState {
    return structuredClone(this.state);
  }

  // Pauses one set, or all of them.
  async pause(set?: string): Promise<void> {
    const since = new Date().toISOString();
    if (set === undefined) this.state.all ??= { since };
    else this.state.sets[set] ??= { since };
    await this.save();
  }

  // Resumes one set, or everything.
  async resume(set?: string): Promise<void> {
    if (set === undefined) this.state = { sets: {} };
    else {
      if (this.state.all) throw new UserError('all sets are paused: run supha sync resume without --set');
      delete this.state.sets[set];
    }
    await this.save();
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(this.file, this.state);
  }
}
