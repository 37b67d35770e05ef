import { readdir, readFile, stat } from 'node:fs/promises';

export interface Liveness {
  alive: boolean;
  pid?: number;
  why?: string;
  // Alive, but writing to no FIFO the agent reads: the agent cannot hear its state changes.
  deaf?: string;
}

// Whether the keepalived named by a pid file is alive: the file must hold a PID, and that process
// must exist, not be a zombie (a file left by a SIGKILLed keepalived says nothing) and be
// keepalived (its PID may have been reused by any other process since).
export async function pidFileAlive(pidFile: string): Promise<Liveness> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (err) {
    return { alive: false, why: `no pid file ${pidFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return { alive: false, why: `pid file ${pidFile} holds no PID` };
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return { alive: false, pid, why: `process ${pid} from ${pidFile} is gone` };
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return { alive: false, pid, why: `process ${pid} from ${pidFile} is a zombie` };
  } catch {
    return { alive: false, pid, why: `process ${pid} from ${pidFile} is gone` };
  }
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  if (comm !== 'keepalived') return { alive: false, pid, why: `process ${pid} from ${pidFile} is not keepalived (${comm || 'unknown'})` };
  return { alive: true, pid };
}

// Which of the pipes named by `inodes` ("dev:ino") keepalived (the process `pid` or one of its
// children: the VRRP process writes notify_fifo) holds open. undefined when /proc cannot tell
// (another user's process, or it is gone).
export async function heldPipes(pid: number, inodes: ReadonlySet<string>): Promise<Set<string> | undefined> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''))
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
  let readable = false;
  const held = new Set<string>();
  for (const p of [pid, ...children]) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    readable = true;
    for (const fd of fds) {
      const st = await stat(`/proc/${p}/fd/${fd}`).catch(() => undefined);
      if (st?.isFIFO() && inodes.has(`${st.dev}:${st.ino}`)) held.add(`${st.dev}:${st.ino}`);
    }
  }
  return readable ? held : undefined;
}
