import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { isDaemonTarget, sshCommand } from '../sync/rsync.js';
import { run } from '../util/exec.js';
import { type Check, fail, ok, warn } from './types.js';

const TIMEOUT_MS = 5_000;

// GET <agent-url>/status with the bearer token: the status code, or what went wrong.
function getStatus(url: string, token: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/status', url), { method: 'GET', headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

// Each peer: its sync target answers (rsync lists it, through the same transport and
// credentials as a push) and its agent answers with our token.
export async function peerChecks(cfg: Config, tokenFile: string | undefined): Promise<Check[]> {
  const peers = Object.entries(cfg.ha?.peers ?? {});
  const out: Check[] = [];
  const token = tokenFile ? (await readFile(tokenFile, 'utf8').catch(() => '')).trim() || undefined : undefined;
  for (const [name, p] of peers) {
    const target = p['sync-target'];
    if (target !== undefined) {
      const args = ['--list-only', `--timeout=${TIMEOUT_MS / 1000}`];
      if (isDaemonTarget(target)) {
        args.push(`--contimeout=${TIMEOUT_MS / 1000}`);
        if (p['password-file']) args.push(`--password-file=${p['password-file']}`);
      } else args.push('-e', sshCommand(p['ssh-options']));
      args.push('--', `${target.replace(/\/+$/, '')}/`);
      const res = await run('rsync', args, { timeoutMs: TIMEOUT_MS * 2, reject: false }).catch((err) => ({
        exitCode: -1,
        stderr: errorMessage(err),
        stdout: '',
      }));
      if (res.exitCode === 0) out.push(ok(`peer ${name} sync`, `${target}: reachable`));
      else
        out.push(
          fail(
            `peer ${name} sync`,
            `${target}: rsync exit ${res.exitCode}: ${res.stderr.trim().split('\n').slice(-1)[0] ?? ''}`,
            "check the peer's rsync daemon or sshd, the module or path, the password file or key, and the firewall (873/tcp or 22/tcp)",
          ),
        );
      if (isDaemonTarget(target))
        out.push(
          warn(
            `peer ${name} transport`,
            `${target}: the rsync protocol is cleartext with no integrity`,
            'fit for a closed network only; elsewhere use ssh with rrsync (conf/authorized_keys.example)',
          ),
        );
    }
    const url = p['agent-url'];
    if (url !== undefined) {
      try {
        const code = await getStatus(url, token);
        if (code === 200) out.push(ok(`peer ${name} agent`, `${url}: answers with our token`));
        else if (code === 401)
          out.push(fail(`peer ${name} agent`, `${url}: 401, the token is refused`, 'put the same token in ha.agent.token-file on both nodes'));
        else out.push(fail(`peer ${name} agent`, `${url}: HTTP ${code}`, "check ha.peers.<peer>.agent-url and the peer's ha.agent.listen"));
      } catch (err) {
        out.push(
          fail(
            `peer ${name} agent`,
            `${url}: ${errorMessage(err)}`,
            "start the peer's agent, make its ha.agent.listen reachable from here (not 127.0.0.1), open the port",
          ),
        );
      }
    }
  }
  return out;
}
