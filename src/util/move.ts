import { randomUUID } from 'node:crypto';
import { copyFile, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from './atomic.js';

// Moves a file so that it is never lost, even across filesystems and a crash: rename when both
// are on one filesystem; else copy to a temp file beside the target, fsync, rename into place,
// fsync the folder, and only then unlink the source. The temp name starts with '.', so neither
// supervisord's include globs nor the registry scanner see it.
export async function moveFileDurable(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    await fsyncDir(dirname(to));
    if (dirname(from) !== dirname(to)) await fsyncDir(dirname(from));
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
  }
  const tmp = join(dirname(to), `.${basename(to)}.${randomUUID()}.tmp`);
  try {
    await copyFile(from, tmp);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, to);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dirname(to));
  await unlink(from);
  await fsyncDir(dirname(from));
}
