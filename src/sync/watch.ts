import { mkdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { isRegistryFile } from '../registry/index.js';

// Watches one registry folder (not its sub-folders) and calls onChange for every change of a
// file supervisord would include. Editors' temp files, dot files and rsync's `.~tmp~` holding
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
    ignored: (path) => resolve(path) !== root && !isRegistryFile(basename(path)),
  });
  for (const ev of ['add', 'change', 'unlink'] as const) watcher.on(ev, (path: string) => onChange(path));
  await new Promise<void>((ready, fail) => {
    watcher.once('ready', ready);
    watcher.once('error', fail);
  });
  return watcher;
}
