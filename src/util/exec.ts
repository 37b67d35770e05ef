import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Options } from 'execa';
import { UserError } from '../errors.js';

export interface RunOptions {
  timeoutMs?: number;
  killAfterMs?: number;
  signal?: AbortSignal;
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  // Throw on a non-zero exit (default). When false, the caller reads exitCode.
  reject?: boolean;
  // For start/stop scripts that leave a daemon behind (jetty.sh start): stdout and stderr go to
  // this file (truncated first; the daemon may keep writing to it) instead of pipes, so the run
  // ends when the script exits, not when the daemon closes them. The child gets its own process
  // group and the timeout or cancel kills the whole group. stdout/stderr in the result: the
  // file's text, stdout only.
  outputFile?: string;
  // stdin, stdout and stderr are this process's own (a forced ssh command handing its session to
  // rrsync); stdout/stderr in the result are empty.
  inherit?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

// The one way supha runs a child process: argument array, no shell, always a timeout and a
// kill-after delay. Failures become UserErrors that name the command and what it said.
export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (opts.outputFile !== undefined) return runGroup(file, args, opts, opts.outputFile);
  const started = performance.now();
  const result = await execa(file, args, {
    shell: false,
    reject: false,
    timeout: opts.timeoutMs ?? 30_000,
    forceKillAfterDelay: opts.killAfterMs ?? 2_000,
    cancelSignal: opts.signal,
    cwd: opts.cwd,
    env: opts.env,
    input: opts.input,
    ...(opts.inherit ? { stdio: 'inherit' as const } : { stdin: opts.input === undefined ? ('ignore' as const) : ('pipe' as const) }),
    stripFinalNewline: true,
  });
  const out: RunResult = {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    durationMs: performance.now() - started,
  };
  return judge(file, args, opts, out, {
    timedOut: result.timedOut,
    canceled: result.isCanceled,
    noExit: result.failed && result.exitCode === undefined,
    why: result.shortMessage,
    cause: result.cause,
  });
}

interface Ending {
  timedOut: boolean;
  canceled: boolean;
  // It could not be run at all (ENOENT, EACCES...).
  noExit: boolean;
  why?: string;
  cause?: unknown;
}

// Turns how a child ended into the result, or the UserError that names the command.
function judge(file: string, args: readonly string[], opts: RunOptions, out: RunResult, end: Ending): RunResult {
  const cmd = [file, ...args].join(' ');
  if (end.timedOut) throw new UserError(`${cmd}: timed out after ${opts.timeoutMs ?? 30_000} ms`);
  if (end.canceled) throw new UserError(`${cmd}: cancelled`);
  if (end.noExit) throw new UserError(`${cmd}: could not run: ${end.why}`, undefined, { cause: end.cause });
  if (out.exitCode !== 0 && opts.reject !== false) {
    const said = (out.stderr || out.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new UserError(`${cmd}: exit ${out.exitCode}${said ? `: ${said}` : ''}`);
  }
  return out;
}

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};
const signalGroup = (pgid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(-pgid, sig);
  } catch {
    // the group is gone
  }
};

// The last `max` bytes of a file (a daemon may have written a lot to it meanwhile).
async function readTail(path: string, max: number): Promise<string> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.min(size, max));
    await fh.read(buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

// run() with opts.outputFile: no pipes, own process group, the group killed on timeout/cancel.
async function runGroup(file: string, args: readonly string[], opts: RunOptions, outputFile: string): Promise<RunResult> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const killAfterMs = opts.killAfterMs ?? 2_000;
  await mkdir(dirname(outputFile), { recursive: true });
  const fh = await open(outputFile, 'a');
  let timedOut = false;
  let canceled = false;
  let pgid = 0;
  const kill = () => pgid > 0 && signalGroup(pgid, 'SIGTERM');
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  const onAbort = () => {
    canceled = true;
    kill();
  };
  try {
    await fh.truncate(0);
    // NOTE: a plain fd number (not in an array) goes to child_process.spawn as is: the child
    // writes the file itself, no pipe. execa's types only list fds 3-9 here; {file} would pipe.
    const fd = fh.fd as Options['stdout'];
    const options: Options = {
      shell: false,
      reject: false,
      detached: true,
      cwd: opts.cwd,
      env: opts.env,
      ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
      stdout: fd,
      stderr: fd,
    };
    const sub = execa(file, args, options);
    pgid = sub.pid ?? 0;
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    const result = await sub;
    if (timedOut || canceled) {
      // What ignored SIGTERM in the group (the daemon the script started) gets SIGKILL.
      const until = Date.now() + killAfterMs;
      while (groupAlive(pgid) && Date.now() < until) await sleep(50);
      signalGroup(pgid, 'SIGKILL');
    }
    const text = (await readTail(outputFile, 16_384)).trimEnd();
    const out: RunResult = { exitCode: result.exitCode ?? -1, stdout: text, stderr: '', durationMs: performance.now() - started };
    return judge(file, args, opts, out, {
      timedOut,
      canceled,
      noExit: !timedOut && !canceled && result.failed && result.exitCode === undefined,
      why: result.shortMessage,
      cause: result.cause,
    });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    await fh.close();
  }
}

// Splits a configured command line ("nginx -s reload") into file and arguments. No shell:
// quotes group words, nothing else is interpreted.
export function splitCommand(line: string): [string, string[]] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  const [file, ...args] = words;
  if (!file) throw new UserError(`empty command: "${line}"`);
  return [file, args];
}
