import { readFile } from 'node:fs/promises';

export interface Liveness {
  alive: boolean;
  pid?: number;
  why?: string;
}

// Whether the process named by a pid file is alive: the file must hold a PID, and that process
// must exist and not be a zombie (a file left by a SIGKILLed keepalived says nothing).
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
  return { alive: true, pid };
}
