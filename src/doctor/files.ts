import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/index.js';
import { type Check, fail, ok } from './types.js';

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');
const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

// A file or folder that must be root's and no one else's: no bits for `others` (and none of
// `forbidden` at all).
export async function privatePath(name: string, path: string, kind: 'dir' | 'file', forbidden: number): Promise<Check> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    return fail(name, `${path}: ${code(err)}`, kind === 'dir' ? `mkdir -m 0700 ${path}` : `create ${path} (mode 0600, owned by root)`);
  }
  if (kind === 'dir' && !st.isDirectory()) return fail(name, `${path} is not a folder`, `move it away and mkdir -m 0700 ${path}`);
  if (kind === 'file' && !st.isFile()) return fail(name, `${path} is not a regular file`, `replace it with a file of mode 0600`);
  const want = kind === 'dir' ? '0700' : '0600';
  if (st.uid !== 0 && process.getuid?.() === 0) return fail(name, `${path} is owned by uid ${st.uid}`, `chown root:root ${path}`);
  if ((st.mode & forbidden) !== 0) return fail(name, `${path} is mode ${octal(st.mode)}`, `chmod ${want} ${path}`);
  return ok(name, `${path} mode ${octal(st.mode)}`);
}

export function stateDirCheck(cfg: Config): Promise<Check> {
  return privatePath('state-dir', cfg['state-dir'], 'dir', 0o077);
}

// keepalived writes events into the FIFO as root; anyone else who can write it can fake them.
export async function fifoCheck(fifo: string): Promise<Check> {
  const name = 'notify-fifo';
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(fifo);
  } catch (err) {
    return fail(
      name,
      `${fifo}: ${code(err)}`,
      `start supha agent (it creates the FIFO), or check ha.keepalived.notify-fifo; its folder ${dirname(fifo)} must exist`,
    );
  }
  if (st.isSymbolicLink()) return fail(name, `${fifo} is a symbolic link`, `rm ${fifo}; the agent creates the FIFO itself`);
  if (!st.isFIFO()) return fail(name, `${fifo} is not a FIFO`, `move it away; the agent creates the FIFO at its next start`);
  if (st.uid !== 0 && process.getuid?.() === 0) return fail(name, `${fifo} is owned by uid ${st.uid}`, `chown root:root ${fifo}`);
  if ((st.mode & 0o177) !== 0) return fail(name, `${fifo} is mode ${octal(st.mode)}`, `chmod 0600 ${fifo}`);
  return ok(name, `${fifo} is a FIFO, mode ${octal(st.mode)}`);
}
