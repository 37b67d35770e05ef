import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';

export function trackFilePath(stateDir: string, set: string): string {
  return join(stateDir, 'track', set);
}

// Writes keepalived's track_file for a set when its value changes: 0 healthy, 1 not (keepalived,
// with `weight 0`, puts the instance in FAULT). `last` is the value last written by this process,
// so an unchanged value costs no read.
export async function writeTrackFile(path: string, value: 0 | 1, last?: 0 | 1): Promise<boolean> {
  if (last === value) return false;
  const now = await readFile(path, 'utf8').catch(() => '');
  if (now.trim() === String(value)) return false;
  await writeFileAtomic(path, `${value}\n`);
  return true;
}
