import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorMessage, UserError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { moveFileDurable } from '../util/move.js';

// The parked store, keyed by registry and file: <parked>/<registry, URI-encoded>/<file> plus
// <file>.json saying who parked it and when. Older versions of the same file are kept, never
// dropped, under <registry key>/versions/ (each with its note). A conf is always in the registry
// or here (across filesystems, briefly in both). Callers hold the registry's lock (run.ts).

export interface ParkNote {
  from: string;
  time: string;
  user: string;
  groups: string[];
  // The conf's mode in the registry, given back when it returns (parked, it is the owner's only).
  mode?: number;
}

// The folder of one registry's parked confs.
export function storeOf(root: string, registry: string): string {
  return join(root, encodeURIComponent(registry));
}

// The registry a parked conf came from: its folder's name says it.
export function originOf(parked: string): string {
  return join(decodeURIComponent(basename(dirname(parked))), basename(parked));
}

// Every registry folder of the store (what the parked scan reads).
export async function storeDirs(root: string): Promise<string[]> {
  const names = await readdir(root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return names.filter((d) => d.isDirectory() && d.name.startsWith('%')).map((d) => join(root, d.name));
}

// The names of the confs of one registry parked now (not their older versions).
export async function parkedNames(root: string, registry: string): Promise<Set<string>> {
  const names = await readdir(storeOf(root, registry), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return new Set(names.filter((d) => d.isFile() && !d.name.endsWith('.json')).map((d) => d.name));
}

// Moves a registry conf into the store and returns its new path. A copy already parked under the
// same registry and name is kept as a version first (dropped only when it is the same bytes).
export async function park(file: string, root: string, note: Omit<ParkNote, 'from' | 'time'>): Promise<string> {
  const dir = storeOf(root, dirname(file));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const to = join(dir, basename(file));
  await keepVersion(to, file);
  const mode = (await stat(file)).mode & 0o777;
  await writeJsonAtomic(`${to}.json`, { from: file, time: new Date().toISOString(), ...note, mode } satisfies ParkNote);
  await moveFileDurable(file, to);
  await chmod(to, mode & 0o700);
  return to;
}

// Moves a parked conf back to where it came from; returns the registry path.
export async function unpark(parked: string, registryDirs: readonly string[]): Promise<string> {
  const to = originOf(parked);
  if (!registryDirs.includes(dirname(to))) {
    throw new UserError(`${parked} came from ${dirname(to)}, which is no longer a registry in the config; move it back by hand`);
  }
  if (await exists(to)) throw new UserError(`${to} already exists; not overwriting it with the parked ${parked}`);
  const noted = await readFile(`${parked}.json`, 'utf8').then(
    (t) => (JSON.parse(t) as Partial<ParkNote>).mode,
    () => undefined,
  );
  await moveFileDurable(parked, to).catch((err: unknown) => {
    throw new UserError(`${parked} could not be moved back to ${to}: ${errorMessage(err)}`, undefined, { cause: err });
  });
  await chmod(to, typeof noted === 'number' ? noted & 0o777 : 0o644).catch(() => {});
  await unlink(`${parked}.json`).catch(() => {});
  return to;
}

// Moves a parked conf (and its note) to its registry's versions/ folder, unless it holds the
// same bytes as `current` (then the parked copy is redundant and removed). Returns the version's
// path, or undefined when there was nothing to keep.
export async function keepVersion(parked: string, current: string): Promise<string | undefined> {
  if (!(await exists(parked))) return undefined;
  const [a, b] = await Promise.all([readFile(parked), readFile(current).catch(() => undefined)]);
  if (b !== undefined && a.equals(b)) {
    await unlink(parked);
    await unlink(`${parked}.json`).catch(() => {});
    return undefined;
  }
  const versions = join(dirname(parked), 'versions');
  await mkdir(versions, { recursive: true, mode: 0o700 });
  const stamp = `${new Date().toISOString().replace(/[:.]/g, '')}-${randomBytes(3).toString('hex')}`;
  const to = join(versions, `${stamp}-${basename(parked)}`);
  if (await exists(`${parked}.json`)) await moveFileDurable(`${parked}.json`, `${to}.json`);
  await moveFileDurable(parked, to);
  return to;
}

export async function readNote(parked: string): Promise<ParkNote | undefined> {
  try {
    return JSON.parse(await readFile(`${parked}.json`, 'utf8')) as ParkNote;
  } catch {
    return undefined;
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
