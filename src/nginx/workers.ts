import { readdir, readFile } from 'node:fs/promises';

// Nginx's master pid from its pid file, or undefined when there is none or it is not alive.
export async function masterPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

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
