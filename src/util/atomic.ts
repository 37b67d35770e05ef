import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// A failed write as one line naming the file it was for (a write's own error names no path, and a
// temp file's name means nothing to an operator); errno's code stays on it.
function failed(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return err as Error;
  return Object.assign(new Error(`${path}: not written: ${e.message}`, { cause: err }), { code: e.code, path });
}

// The temp file writeFileAtomic writes beside `path`, and the test that a name is one.
const tempName = (path: string) => join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
const TEMP = /^\..+\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

// Writes a file so a reader sees the old content or the new, never a part: temp file in the
// same folder, fsync, rename, fsync of the folder. On any failure (a full or read-only disk) the
// temp file is removed and the old file is left as it was.
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const tmp = tempName(path);
  try {
    // Folders supha creates are the owner's only (state, parked confs, journals): 0700.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw failed(path, err);
  }
  await fsyncDir(dir);
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 4)}\n`);
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// Removes what a killed writer left of writeFileAtomic in `dir` (its `.<name>.<uuid>.tmp` files).
// Only for a folder no other process writes while the caller starts (the agent's track files).
export async function sweepTemps(dir: string): Promise<string[]> {
  const gone: string[] = [];
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!TEMP.test(f)) continue;
    await unlink(join(dir, f)).then(
      () => gone.push(f),
      () => {},
    );
  }
  return gone;
}
