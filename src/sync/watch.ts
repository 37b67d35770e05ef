import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { isRegistryFile } from '../registry/index.js';
import { MANIFEST } from './manifest.js';

const watched = (name: string) => isRegistryFile(name) || name === MANIFEST;

// Watches one registry folder (not its sub-folders) and calls onChange for every change of a
// file supervisord would include, and of the set's manifest. Editors' temp files, dot files and rsync's `.~tmp~` holding
// folder are ignored. The folder is created if missing (a replica arrives with the first push).
export async function watchRegistry(dir: string, onChange: (file: string) => void): Promise<FSWatcher> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const watcher = watch(root, {
    ignoreInitial: true,
    depth: 0,
    // NOTE: atomic-write smoothing delays unlinks by 100 ms; every push sends the whole folder, so
    // an unlink+add pair costs nothing but a rerun.
    atomic: false,
    ignored: (path) => resolve(path) !== root && !watched(basename(path)),
  });
  for (const ev of ['add', 'change', 'unlink'] as const) watcher.on(ev, (path: string) => onChange(path));
  // NOTE: chokidar drops a file's change events that follow another within 5 ms (and 50 ms for
  // 'change'): a conf rewritten as truncate+write can end with no event after the write, so the
  // last push would carry the truncated file. Every raw fs.watch event counts too; the pushers
  // collapse them.
  watcher.on('raw', (_event, name, details) => {
    const where = (details as { watchedPath?: string } | undefined)?.watchedPath ?? root;
    if (!name) return;
    const file = where === root ? join(root, name) : resolve(where);
    if (dirname(file) === root && watched(basename(file))) onChange(file);
  });
  await new Promise<void>((ready, fail) => {
    watcher.once('ready', ready);
    watcher.once('error', fail);
  });
  return watcher;
}
