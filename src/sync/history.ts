import { copyFile, lstat, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { isRegistryFile } from '../registry/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { HISTORY_DIR, historyStamp } from './rsync.js';

// What pushes deleted or overwrote in a set's folder, kept by rsync --backup-dir in
// <registry>/.supha-history/<stamp>/ (a dot folder one level down: supervisord's include and the
// registry scan never see it).
export interface Retention {
  maxAgeDays: number;
  maxCount: number;
}

export interface Kept {
  // <stamp>/<file>, what `supha sync restore` takes
  id: string;
  stamp: string;
  file: string;
  path: string;
  size: number;
  mtime: string;
  // When this host kept it (the file's ctime: rsync's --backup and the quarantine rename it into
  // the stamp). The stamp's name carries the pusher's clock, which may be off.
  keptAt: number;
}

// The newest kept copy of each file, by this host's clock.
function newestOf(kept: readonly Kept[]): Map<string, Kept> {
  const out = new Map<string, Kept>();
  for (const k of kept) {
    const seen = out.get(k.file);
    if (!seen || k.keptAt >= seen.keptAt) out.set(k.file, k);
  }
  return out;
}

export const historyDir = (registry: string) => join(registry, HISTORY_DIR);

async function stamps(registry: string): Promise<string[]> {
  try {
    return (await readdir(historyDir(registry), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

// Every kept file, oldest first.
export async function listHistory(registry: string): Promise<Kept[]> {
  const out: Kept[] = [];
  for (const stamp of await stamps(registry)) {
    const dir = join(historyDir(registry), stamp);
    for (const file of (await readdir(dir)).sort()) {
      const path = join(dir, file);
      const st = await lstat(path);
      if (!st.isFile()) continue;
      out.push({ id: `${stamp}/${file}`, stamp, file, path, size: st.size, mtime: st.mtime.toISOString(), keptAt: st.ctimeMs });
    }
  }
  return out;
}

// Drops whole stamps older than maxAgeDays, then the oldest beyond maxCount. The newest kept copy
// of a file that is nowhere else on this node (not in the registry, not in `parked`, supzcli's
// parked store for it) is never dropped: its stamp keeps that file alone, beyond the bounds.
export async function pruneHistory(registry: string, keep: Retention, now = Date.now(), parked: ReadonlySet<string> = new Set()): Promise<string[]> {
  const all = await stamps(registry);
  const kept = await listHistory(registry);
  const newest = new Map([...newestOf(kept)].map(([f, k]) => [f, k.stamp]));
  const present = new Set(await readdir(registry).catch(() => [] as string[]));
  const last = (k: Kept) => newest.get(k.file) === k.stamp && !present.has(k.file) && !parked.has(k.file);
  const dropped: string[] = [];
  for (const [i, stamp] of all.entries()) {
    const path = join(historyDir(registry), stamp);
    const old = now - (await stat(path)).mtimeMs > keep.maxAgeDays * 86_400_000;
    if (!old && all.length - i <= keep.maxCount) continue;
    const only = kept.filter((k) => k.stamp === stamp && last(k)).map((k) => k.file);
    if (only.length === 0) {
      await rm(path, { recursive: true, force: true });
      dropped.push(stamp);
      continue;
    }
    for (const name of await readdir(path)) if (!only.includes(name)) await rm(join(path, name), { recursive: true, force: true });
  }
  return dropped;
}

// Puts kept files back into the registry; a conf of the same name there now is kept first. Takes
// `<stamp>/<file>` or a bare file name (its newest kept version, by this host's clock).
export async function restoreHistory(registry: string, node: string, wanted: readonly string[]): Promise<string[]> {
  const kept = await listHistory(registry);
  const picks = wanted.map((w) => {
    const hit = w.includes('/') ? kept.find((k) => k.id === w) : newestOf(kept).get(w);
    if (!hit) throw new UserError(`${w}: not in the kept history of ${registry} (supha sync history lists it)`);
    if (!isRegistryFile(hit.file)) throw new UserError(`${w}: not a registry conf (*.conf)`);
    return hit;
  });
  const stamp = historyStamp(node, 'restore');
  await ensureHistoryDir(registry);
  const done: string[] = [];
  for (const k of picks) {
    const dest = join(registry, k.file);
    const current = await lstat(dest).catch(() => undefined);
    if (current?.isFile()) {
      await mkdir(join(historyDir(registry), stamp), { recursive: true });
      await copyFile(dest, join(historyDir(registry), stamp, basename(dest)));
    } else if (current) throw new UserError(`${dest}: exists and is not a file; not restored`);
    await writeFileAtomic(dest, await readFile(k.path), 0o644);
    done.push(k.id);
  }
  return done;
}

// Makes <registry>/.supha-history a real folder: anything else of that name (a regular file, a
// symlink that could point into supervisord's include) is renamed aside, to a dot name nothing
// loads or replicates. Returns that name when it did, so the caller can raise the alarm.
// `create` false: only that (a push's rsync makes the folder itself).
export async function ensureHistoryDir(registry: string, create = true): Promise<string | undefined> {
  const dir = historyDir(registry);
  const st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  let aside: string | undefined;
  if (st && !st.isDirectory()) {
    aside = `${dir}.not-a-folder-${historyStamp('x', 'moved').slice(0, 24)}`;
    await rename(dir, aside);
  }
  if (create || aside !== undefined) await mkdir(dir, { recursive: true });
  return aside;
}

// Moves a file into a fresh stamp (adopt keeps what it replaces this way).
export async function keepFile(registry: string, stamp: string, file: string): Promise<void> {
  await mkdir(join(historyDir(registry), stamp), { recursive: true });
  await rename(join(registry, file), join(historyDir(registry), stamp, file));
}
