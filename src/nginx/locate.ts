import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';
import { run, splitCommand } from '../util/exec.js';
import { procArgv } from '../util/proc.js';
import { directives } from './conftext.js';

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

// The nginx binary the default test command uses: <nginx-home>/sbin/nginx (a build from source,
// the seed's /usr/local/nginx) when it is there, else `nginx` on PATH (a distro's /usr/sbin/nginx).
export function findNginx(home: string, path = process.env.PATH ?? ''): { binary?: string; tried: string[] } {
  const tried = [
    join(home, 'sbin', 'nginx'),
    ...path
      .split(delimiter)
      .filter(isAbsolute)
      .map((d) => join(d, 'nginx')),
  ];
  const binary = tried.find(executable);
  return binary === undefined ? { tried } : { binary, tried };
}

// What `nginx -V` says it was built with, and the -p/-c the command gives it.
export interface NginxPaths {
  prefix?: string;
  conf?: string;
  pid?: string;
}

const absolute = (p: string | undefined, prefix: string | undefined) => (p === undefined || isAbsolute(p) || prefix === undefined ? p : join(prefix, p));

export async function nginxPaths(cmd: string): Promise<NginxPaths> {
  const [file, args] = splitCommand(cmd);
  const v = await run(file, ['-V'], { reject: false, timeoutMs: 10_000 }).catch(() => undefined);
  const said = `${v?.stderr ?? ''} ${v?.stdout ?? ''}`;
  const built = (k: string) => new RegExp(`--${k}=(\\S+)`).exec(said)?.[1];
  const pi = args.indexOf('-p');
  const ci = args.indexOf('-c');
  const prefix = pi >= 0 ? args[pi + 1] : built('prefix');
  const out: NginxPaths = {};
  const conf = absolute(ci >= 0 ? args[ci + 1] : built('conf-path'), prefix);
  const pid = absolute(built('pid-path'), prefix);
  if (prefix !== undefined) out.prefix = prefix;
  if (conf !== undefined) out.conf = conf;
  if (pid !== undefined) out.pid = pid;
  return out;
}

// The `pid` directive of the config the test command tests, from `nginx -T` (-t replaced), as
// written (maybe relative to the prefix). Undefined when it has none or -T fails.
export async function pidFromDump(testCmd: string): Promise<string | undefined> {
  const [file, args] = splitCommand(testCmd);
  if (!args.includes('-t')) return undefined;
  const r = await run(
    file,
    args.map((a) => (a === '-t' ? '-T' : a)),
    { reject: false, timeoutMs: 30_000 },
  ).catch(() => undefined);
  if (r === undefined || r.exitCode !== 0) return undefined;
  return directives(r.stdout).find((d) => d.name === 'pid' && d.depth === 0)?.args[0];
}

// The pid of a live Nginx master in pidFile, else undefined.
export async function masterIn(pidFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return (await procArgv(pid))[0]?.startsWith('nginx: master process') ? pid : undefined;
}

// The running Nginx master and the pid file that named it: the `pid` of `nginx -T`, else
// <nginx-home>/logs/nginx.pid, else the binary's built-in --pid-path, else the configured pid-file. Throws one line naming what was tried.
export async function findMaster(testCmd: string, home: string, configured: string): Promise<{ pid: number; pidFile: string }> {
  const dumped = await pidFromDump(testCmd);
  const paths = await nginxPaths(testCmd);
  // A relative pid is under the prefix: -p, or nginx-home when the binary is its sbin/nginx
  // (a wrapper or a build whose -V says otherwise), or the built-in --prefix.
  const [file] = splitCommand(testCmd);
  const prefixes = [...(file === join(home, 'sbin', 'nginx') ? [home] : []), ...(paths.prefix ? [paths.prefix] : [])];
  const fromDump = dumped === undefined ? [] : isAbsolute(dumped) ? [dumped] : prefixes.map((p) => join(p, dumped));
  const tried = [...new Set(dumped !== undefined ? fromDump : [join(home, 'logs', 'nginx.pid'), ...(paths.pid ? [paths.pid] : []), configured])];
  for (const pidFile of tried) {
    const pid = await masterIn(pidFile);
    if (pid !== undefined) return { pid, pidFile };
  }
  const from = dumped !== undefined ? `${dumped} (pid in nginx -T)` : tried.join(' or ');
  throw new UserError(
    `cannot verify the nginx reload: no running nginx master in ${from}; is nginx running? (else set nginx.pid-file, or nginx-test-cmd to the command that tests the running config)`,
  );
}
