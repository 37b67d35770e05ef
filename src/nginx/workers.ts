import { readdir, readFile } from 'node:fs/promises';

// The pids whose parent is `master` (Nginx's workers, cache manager...), from /proc.
export async function childPids(master: number): Promise<Set<number>> {
  const out = new Set<number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === master) out.add(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
