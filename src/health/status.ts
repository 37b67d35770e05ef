import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { errorMessage, UserError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { lockedUpdate } from '../util/locked-update.js';
import type { CheckResult } from './check.js';

export type NodeStatus = 'n/a' | 'running' | 'dead';

// One node in node-health-status.json, keys exactly as the seed's file.
export interface NodeHealth {
  status: NodeStatus;
  'health-check-url': string;
  'last-response-time': number;
  'reboot-count': number;
  'last-response-code': number;
  'fail-count': number;
  'last-check-time': string;
}

export type HealthFile = Record<string, NodeHealth>;

export function healthPath(cfg: Config): string {
  return join(cfg['runtime-dir'], 'node-health-status.json');
}

// A node never seen yet.
export function freshHealth(url: string): NodeHealth {
  return {
    status: 'n/a',
    'health-check-url': url,
    'last-response-time': 0,
    'reboot-count': 0,
    'last-response-code': 0,
    'fail-count': 0,
    'last-check-time': '',
  };
}

// The seed's rule: a 200 makes the node running and resets fail-count; anything else bumps
// it, and `threshold` failures in a row make the node dead.
export function applyCheck(prev: NodeHealth | undefined, url: string, r: CheckResult, threshold: number, now = new Date()): NodeHealth {
  const base = { ...(prev ?? freshHealth(url)), 'health-check-url': url };
  const ok = r.code === 200;
  const failCount = ok ? 0 : base['fail-count'] + 1;
  let status: NodeStatus = base.status;
  if (ok) status = 'running';
  else if (failCount >= threshold) status = 'dead';
  return {
    status,
    'health-check-url': url,
    'last-response-time': r.timeS,
    'reboot-count': base['reboot-count'],
    'last-response-code': r.code,
    'fail-count': failCount,
    'last-check-time': formatTime(now),
  };
}

// `YYYY-MM-DD HH:MM:SS` in local time, as the seed writes it.
export function formatTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export async function readHealth(cfg: Config): Promise<HealthFile> {
  const path = healthPath(cfg);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UserError(`${path}: cannot read the node health file (${errorMessage(err)})`, undefined, { cause: err });
  }
  try {
    const data = JSON.parse(text) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('not an object');
    return data as HealthFile;
  } catch (err) {
    throw new UserError(`${path}: not a node health file (${(err as Error).message}); move it away and run supha nodes check`);
  }
}

// Read, change, write atomically, whole across processes (agent, supha nodes check, a switch's
// gate), so no update (a reboot-count, say) is lost.
export function updateHealth(cfg: Config, change: (file: HealthFile) => void | Promise<void>): Promise<HealthFile> {
  return lockedUpdate(healthPath(cfg), async () => {
    const file = await readHealth(cfg);
    await change(file);
    await writeJsonAtomic(healthPath(cfg), file);
    return file;
  });
}
