import { stat } from 'node:fs/promises';
import type { Config } from './load.js';
import type { Problem } from './rules.js';

// The files that hold secrets (the agents' token, rsync passwords): they must exist, be regular
// files and be readable by their owner only. `config check` says so before anything runs on them.
export async function secretProblems(cfg: Config): Promise<Problem[]> {
  const files: [string, string][] = [];
  const token = cfg.ha?.agent['token-file'];
  if (token) files.push(['ha.agent.token-file', token]);
  for (const [p, peer] of Object.entries(cfg.ha?.peers ?? {})) if (peer['password-file']) files.push([`ha.peers.${p}.password-file`, peer['password-file']]);
  const qauth = cfg.ha?.quorum?.auth;
  if (qauth) files.push(['ha.quorum.auth.password-file', qauth['password-file']]);
  const out: Problem[] = [];
  for (const [path, file] of files) {
    try {
      const st = await stat(file);
      if (!st.isFile()) out.push({ path, message: `${file}: not a regular file` });
      else if ((st.mode & 0o077) !== 0)
        out.push({ path, message: `${file} is mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}: others can read it (chmod 600)` });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.push({ path, message: `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err)}` });
    }
  }
  return out;
}
