import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { lockedUpdate } from '../util/locked-update.js';

// Per node: when supha last started it (`at`, ms) and whether it has answered since (`up`;
// false = still booting). Every start by supha records one: `nodes start`, a switch, a restart.
export type StartRecord = { at: number; up: boolean };
export type Starts = Record<string, StartRecord>;

export const startsPath = (cfg: Config) => join(cfg['state-dir'], 'node-restarts.json');

export async function readStarts(cfg: Config): Promise<Starts> {
  const text = await readFile(startsPath(cfg), 'utf8').catch(() => '{}');
  try {
    const data = JSON.parse(text) as unknown;
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Starts) : {};
  } catch {
    return {};
  }
}

export function updateStarts(cfg: Config, change: (s: Starts) => void): Promise<Starts> {
  return lockedUpdate(startsPath(cfg), async () => {
    const s = await readStarts(cfg);
    change(s);
    await writeJsonAtomic(startsPath(cfg), s);
    return s;
  });
}

// Started by supha less than graceMs ago and not seen answering since.
export const isBooting = (rec: StartRecord | undefined, graceMs: number, now = Date.now()): boolean => rec !== undefined && !rec.up && now - rec.at < graceMs;

// Records a start at `now`, or (up) that the node has answered since its last start.
export const recordStart = (cfg: Config, node: string, now = Date.now()) =>
  updateStarts(cfg, (s) => {
    s[node] = { at: now, up: false };
  });
export const recordUp = (cfg: Config, node: string) =>
  updateStarts(cfg, (s) => {
    const r = s[node];
    if (r) r.up = true;
  });
