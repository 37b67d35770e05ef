import { errorMessage } from '../errors.js';
import { run } from '../util/exec.js';

// Where and how one peer receives a set's registry.
export interface PushTarget {
  // `user@host:/path` (ssh) or `rsync://[user@]host[:port]/module` (rsync daemon). The set's
  // registry lands in `<target>/<set>/`.
  target: string;
  sshOptions?: readonly string[] | undefined;
  passwordFile?: string | undefined;
}

export interface PushResult {
  ok: boolean;
  exitCode: number;
  durationMs: number;
  // Files vanished while rsync read them (exit 24): the rest went through; push again.
  vanished: boolean;
  error?: string;
}

// rsync's exit values (rsync(1) EXIT VALUES), for the messages operators read.
const EXIT_MEANING: Record<number, string> = {
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files, directories',
  5: 'error starting client-server protocol (module or password?)',
  10: 'error in socket I/O (peer down?)',
  11: 'error in file I/O',
  12: 'error in rsync protocol data stream',
  23: 'partial transfer due to error',
  24: 'partial transfer due to vanished source files',
  30: 'timeout in data send/receive',
  35: 'timeout waiting for daemon connection',
  255: 'ssh failed (host down or key refused?)',
};

// Only what supervisord would include from a registry (isRegistryFile in src/registry: the
// shipped include's `*.conf`, no dot files), no sub-folders. Excluded names on the peer are also
// kept from deletion, so rsync's own `.~tmp~` holding folder is left alone.
const FILTERS = ['- .*', '+ *.conf', '- *'];

export function isDaemonTarget(target: string): boolean {
  return target.startsWith('rsync://');
}

// `ssh -o BatchMode=yes OPTS` as one -e argument, quoted the way rsync splits it (spaces
// separate; double quotes keep spaces; a doubled quote is a quote).
export function sshCommand(options: readonly string[] = []): string {
  const quote = (a: string) => (/[\s"']/.test(a) ? `"${a.replaceAll('"', '""')}"` : a);
  return ['ssh', '-o', 'BatchMode=yes', ...options.map(quote)].join(' ');
}

// The argument array for one full push of `registry` to a peer: -a --delete (deletes after the
// updates), --delay-updates (every updated file renamed into place at the end, never partial),
// --checksum (a same-size rewrite within one mtime tick still counts).
export function rsyncArgs(registry: string, set: string, peer: PushTarget, timeoutMs: number): string[] {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const args = ['-a', '--checksum', '--delete', '--delete-delay', '--delay-updates', `--timeout=${seconds}`];
  for (const f of FILTERS) args.push(`--filter=${f}`);
  if (isDaemonTarget(peer.target)) {
    args.push(`--contimeout=${seconds}`);
    if (peer.passwordFile) args.push(`--password-file=${peer.passwordFile}`);
  } else {
    args.push('-e', sshCommand(peer.sshOptions));
  }
  args.push(`${registry.replace(/\/+$/, '')}/`, `${peer.target.replace(/\/+$/, '')}/${set}/`);
  return args;
}

// One full push of a set's registry to one peer. Never throws for rsync's own failures: the
// result says what happened.
export async function pushRegistry(registry: string, set: string, peer: PushTarget, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<PushResult> {
  const started = performance.now();
  try {
    const res = await run('rsync', rsyncArgs(registry, set, peer, opts.timeoutMs), {
      timeoutMs: opts.timeoutMs + 2_000,
      signal: opts.signal,
      reject: false,
    });
    const durationMs = performance.now() - started;
    if (res.exitCode === 0) return { ok: true, exitCode: 0, durationMs, vanished: false };
    if (res.exitCode === 24) return { ok: true, exitCode: 24, durationMs, vanished: true };
    const said = res.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    const meaning = EXIT_MEANING[res.exitCode] ?? 'failed';
    return { ok: false, exitCode: res.exitCode, durationMs, vanished: false, error: `rsync exit ${res.exitCode} (${meaning})${said ? `: ${said}` : ''}` };
  } catch (err) {
    // run() names the whole command line; the target and what happened say enough here.
    const msg = errorMessage(err);
    const why = msg.includes(': timed out after')
      ? `timed out after ${opts.timeoutMs + 2_000} ms (peer unreachable?)`
      : msg.includes(': cancelled')
        ? 'cancelled'
        : msg;
    return { ok: false, exitCode: -1, durationMs: performance.now() - started, vanished: false, error: `rsync to ${peer.target}: ${why}` };
  }
}
