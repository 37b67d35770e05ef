import { appendFileSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

// `begin`: written before an acting verb does anything; its outcome line follows with the same run.
export type Outcome = 'begin' | 'ok' | 'refused' | 'error';

export interface Who {
  // The uid's name (the password database), never $USER: the environment is the caller's to set.
  user: string;
  uid: number;
  // Who ran sudo, when supzcli runs as root under it (SUDO_USER, SUDO_UID).
  sudoUser?: string;
  sudoUid?: number;
}

export interface AuditRecord extends Who {
  time: string;
  // Pairs a verb's begin line with its outcome: pid and start time of this supzcli.
  run: string;
  verb: string;
  names: string[];
  outcome: Outcome;
  exit?: number;
  reason?: string;
  force?: boolean;
}

let who: Who | undefined;

// Who runs this supzcli. SUDO_* are believed only as root: any other user can set them.
export function whoAmI(env: NodeJS.ProcessEnv): Who {
  if (who) return who;
  const uid = process.getuid?.() ?? -1;
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = String(uid);
  }
  who = { user, uid };
  if (uid === 0 && env.SUDO_USER) {
    who.sudoUser = env.SUDO_USER;
    const sudoUid = Number(env.SUDO_UID);
    if (Number.isInteger(sudoUid)) who.sudoUid = sudoUid;
  }
  return who;
}

// The name a parked conf's note records: the sudo caller's too, when there is one.
export function whoName(env: NodeJS.ProcessEnv): string {
  const w = whoAmI(env);
  return w.sudoUser ? `${w.user} (sudo by ${w.sudoUser})` : w.user;
}

const RUN = `${process.pid}-${Date.now().toString(36)}`;

// Appends one JSON line to <state-dir>/audit.log (O_APPEND: lines of concurrent runs never mix).
// Sync on purpose: node:fs is loaded at start-up, node:fs/promises costs `supzcli status` time.
export function audit(stateDir: string, rec: Omit<AuditRecord, 'time' | 'run' | keyof Who>, env: NodeJS.ProcessEnv): void {
  const line = `${JSON.stringify({ time: new Date().toISOString(), run: RUN, ...whoAmI(env), ...rec })}\n`;
  const path = join(stateDir, 'audit.log');
  try {
    appendFileSync(path, line, { mode: 0o640 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(stateDir, { recursive: true, mode: 0o750 });
    appendFileSync(path, line, { mode: 0o640 });
  }
}
