import { readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorMessage, UserError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { moveFileDurable } from '../util/move.js';

// The parked store: <state-dir>/parked/<file> plus <file>.json saying where it came from.
// A conf is always in the registry or here (or, across filesystems, briefly in both).

export interface ParkNote {
  from: string;
  time: string;
  user: string;
  groups: string[];
}

// Moves a registry conf into the parked store and returns its new path. An older parked copy
// of the same name is kept as <file>.superseded-<time> when it differs.
export async function park(file: string, dir: string, note: Omit<ParkNote, 'from' | 'time'>): Promise<string> {
  const to = join(dir, basename(file));
  await supersede(to, file);
  await writeJsonAtomic(`${to}.json`, { from: file, time: new Date().toISOString(), ...note } satisfies ParkNote);
  await moveFileDurable(file, to);
  return to;
}

// Moves a parked conf back to where it came from; returns the registry path.
export async function unpark(parked: string, registryDirs: readonly string[]): Promise<string> {
  const note = await readNote(parked);
  let to = note?.from;
  if (to === undefined) {
    if (registryDirs.length !== 1) throw new UserError(`${parked}: no ${basename(parked)}.json says which registry it came from; move it back by hand`);
    to = join(registryDirs[0] ?? '', basename(parked));
  }
  if (!registryDirs.includes(dirname(to))) {
    throw new UserError(`${parked} came from ${dirname(to)}, which is no longer a registry in the config; move it back by hand`);
  }
  if (await exists(to)) throw new UserError(`${to} already exists; not overwriting it with the parked ${parked}`);
  await moveFileDurable(parked, to).catch((err: unknown) => {
    throw new UserError(`${parked} could not be moved back to ${to}: ${errorMessage(err)}`, undefined, { cause: err });
  });
  await unlink(`${parked}.json`).catch(() => {});
  return to;
}

// Drops a parked copy that a registry conf has replaced: removed when equal, else renamed aside.
export async function supersede(parked: string, current: string): Promise<void> {
  if (!(await exists(parked))) return;
  const [a, b] = await Promise.all([readFile(parked), readFile(current).catch(() => undefined)]);
  if (b !== undefined && a.equals(b)) await unlink(parked);
  else await rename(parked, `${parked}.superseded-${new Date().toISOString().replace(/[:.]/g, '')}`);
  await unlink(`${parked}.json`).catch(() => {});
}

export async function readNote(parked: string): Promise<ParkNote | undefined> {
  try {
    return JSON.parse(await readFile(`${parked}.json`, 'utf8')) as ParkNote;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
