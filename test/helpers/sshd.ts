import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, tempDir, waitFor } from './tmp.js';

const exec = promisify(execFile);

export interface Sshd {
  port: number;
  // The client key and the ssh options a PushTarget takes to reach this server.
  sshOptions: string[];
  stop(): Promise<void>;
}

// A real sshd on 127.0.0.1 (own host key, own authorized_keys) whose one key may run only
// Debian's rrsync confined to `dir`, as docs/replication.md tells operators to set it up.
// `command`: the forced command instead (the shipped wrapper around rrsync).
export async function startSshd(dir: string, command = `/usr/bin/rrsync ${dir}`): Promise<Sshd> {
  const tmp = await tempDir('supha-sshd-');
  await chmod(tmp.dir, 0o700);
  await mkdir(dir, { recursive: true });
  const hostKey = join(tmp.dir, 'host_ed25519');
  const key = join(tmp.dir, 'client_ed25519');
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const authorized = join(tmp.dir, 'authorized_keys');
  await writeFile(authorized, `command="${command}",restrict ${(await readFile(`${key}.pub`, 'utf8')).trim()}\n`, { mode: 0o600 });
  const port = await freePort();
  const conf = join(tmp.dir, 'sshd_config');
  await writeFile(
    conf,
    `Port ${port}
ListenAddress 127.0.0.1
HostKey ${hostKey}
PidFile ${join(tmp.dir, 'sshd.pid')}
AuthorizedKeysFile ${authorized}
PermitRootLogin forced-commands-only
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
`,
  );
  await mkdir('/run/sshd', { recursive: true });
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let logs = '';
  child.stderr?.on('data', (d) => {
    logs += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    await tmp.cleanup();
  };
  try {
    await waitFor('sshd to listen', async () => {
      if (child.exitCode !== null) throw new Error(`sshd exited: ${logs}`);
      return /Server listening/.test(logs);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const sshOptions = ['-p', String(port), '-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
  return { port, sshOptions, stop };
}
