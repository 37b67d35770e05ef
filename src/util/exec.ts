import { execa } from 'execa';
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
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    stripFinalNewline: true,
  });
  const out: RunResult = {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    durationMs: performance.now() - started,
  };
  const cmd = [file, ...args].join(' ');
  if (result.timedOut) throw new UserError(`${cmd}: timed out after ${opts.timeoutMs ?? 30_000} ms`);
  if (result.isCanceled) throw new UserError(`${cmd}: cancelled`);
  if (result.failed && result.exitCode === undefined) {
    throw new UserError(`${cmd}: could not run: ${result.shortMessage}`, undefined, { cause: result.cause });
  }
  if (out.exitCode !== 0 && opts.reject !== false) {
    const said = (out.stderr || out.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new UserError(`${cmd}: exit ${out.exitCode}${said ? `: ${said}` : ''}`);
  }
  return out;
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
