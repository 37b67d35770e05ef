import { appendFileSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export type Outcome = 'ok' | 'refused' | 'error';

export interface AuditRecord {
  time: string;
  user: string;
  uid: number;
  sudoUser?: string;
  verb: string;
  names: string[];
  outcome: Outcome;
  exit: number;
  reason?: string;
}

// Who ran the command: the login name from the environment, else the uid's name.
export function whoAmI(env: NodeJS.ProcessEnv): { user: string; uid: number; sudoUser?: string } {
  const uid = process.getuid?.() ?? -1;
  let user = env.USER ?? env.LOGNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = String(uid);
    }
  }
  return env.SUDO_USER ? { user, uid, sudoUser: env.SUDO_USER } : { user, uid };
}

// Appends one JSON line to <state-dir>/audit.log (O_APPEND: lines of concurrent runs never mix).
// Sync on purpose: node:fs is loaded at start-up, node:fs/promises costs `supzcli status` time.
export async function audit(stateDir: string, rec: Omit<AuditRecord, 'time' | 'user' | 'uid' | 'sudoUser'>, env: NodeJS.ProcessEnv): Promise<void> {
  const line = `${JSON.stringify({ time: new Date().toISOString(), ...whoAmI(env), ...rec })}\n`;
  const path = join(stateDir, 'audit.log');
  try {
    appendFileSync(path, line, { mode: 0o640 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(stateDir, { recursive: true, mode: 0o750 });
    appendFileSync(path, line, { mode: 0o640 });
  }
}
