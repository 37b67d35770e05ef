import { readFile, readlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

// What /proc says about a process: the one reader of command lines for every daemon supha
// inspects (supervisord's -c, keepalived's -f, an Nginx master's title). A process that is gone
// or unreadable reads as no arguments.

// The process's argv (its title when it renamed itself, as Nginx's master and workers do).
export async function procArgv(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw === '' ? [] : raw.replace(/\0$/, '').split('\0');
}

// The value of a command-line option given as `-c X`, `--long X` or `--long=X`, else undefined.
export function optionValue(argv: readonly string[], short: string, long: string): string | undefined {
  const i = argv.findIndex((a) => a === short || a === long);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`${long}=`))?.slice(long.length + 1);
}

// That option's value as a path, made absolute against the process's working directory.
export async function optionPath(pid: number, short: string, long: string): Promise<string | undefined> {
  const given = optionValue(await procArgv(pid), short, long);
  if (!given) return undefined;
  if (isAbsolute(given)) return given;
  return join(await readlink(`/proc/${pid}/cwd`).catch(() => '/'), given);
}
