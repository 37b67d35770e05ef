import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { run } from '../util/exec.js';
import { MANIFEST, type Manifest, readManifestFile } from './manifest.js';

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

// Only what supervisord would include from a registry (isRegistryFile in src/registry) plus the
// set's manifest: the shipped include's `*.conf`, no other dot files, no sub-folders.
// Excluded names on the receiving side are also kept from deletion, so rsync's `.~tmp~` holding
// folder and the kept history (`.supha-history/`) are left alone.
const FILTERS = [`+ /${MANIFEST}`, '- .*', '+ *.conf', '- *'];

// Where the receiving side keeps what a push deleted or overwrote, relative to the set's folder.
export const HISTORY_DIR = '.supha-history';

// full: the peer's folder becomes a copy (--delete). additive: nothing is deleted there.
export type PushMode = 'full' | 'additive';

export function isDaemonTarget(target: string): boolean {
  return target.startsWith('rsync://');
}

// `ssh -o BatchMode=yes OPTS` as one -e argument, quoted the way rsync splits it (spaces
// separate; double quotes keep spaces; a doubled quote is a quote).
export function sshCommand(options: readonly string[] = []): string {
  const quote = (a: string) => (/[\s"']/.test(a) ? `"${a.replaceAll('"', '""')}"` : a);
  return ['ssh', '-o', 'BatchMode=yes', ...options.map(quote)].join(' ');
}

// The options every run to a peer takes: timeouts, the transport, and no device, special file or
// symlink that points out of the tree.
export function transportArgs(peer: PushTarget, timeoutMs: number): string[] {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const args = ['--no-devices', '--no-specials', '--safe-links', `--timeout=${seconds}`];
  if (isDaemonTarget(peer.target)) {
    args.push(`--contimeout=${seconds}`);
    if (peer.passwordFile) args.push(`--password-file=${peer.passwordFile}`);
  } else {
    args.push('-e', sshCommand(peer.sshOptions));
  }
  return args;
}

export const remoteDir = (peer: PushTarget, set: string) => `${peer.target.replace(/\/+$/, '')}/${set}/`;

// A name for one push's kept files: time first, so names sort by age.
export function historyStamp(node: string, what = 'push', at = new Date()): string {
  return `${at.toISOString().replace(/[:.]/g, '-')}-${what}-${node.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

// --backup-dir for a push: relative to the set's folder for an rsync daemon; over ssh the full
// remote path, because rrsync reads a receiver's path option from the root of its folder (one
// leading slash) while plain ssh reads it from the login directory.
export function backupDir(peer: PushTarget, set: string, stamp: string): string {
  if (isDaemonTarget(peer.target)) return `${HISTORY_DIR}/${stamp}`;
  const path = peer.target.slice(peer.target.indexOf(':') + 1).replace(/\/+$/, '');
  return `${path}/${set}/${HISTORY_DIR}/${stamp}`;
}

// The argument array for one push of `registry` to a peer: -a, --delay-updates (every updated
// file renamed into place at the end, never partial), --checksum (a same-size rewrite within one
// mtime tick still counts); what it overwrites (and, full, deletes after the updates) is kept on
// the receiving side in <set>/.supha-history/<stamp>/.
export function rsyncArgs(registry: string, set: string, peer: PushTarget, timeoutMs: number, mode: PushMode = 'full', stamp = historyStamp('peer')): string[] {
  const args = ['-a', '--checksum', '--delay-updates', '--backup', `--backup-dir=${backupDir(peer, set, stamp)}`];
  if (mode === 'full') args.push('--delete', '--delete-delay');
  for (const f of FILTERS) args.push(`--filter=${f}`);
  args.push(...transportArgs(peer, timeoutMs));
  args.push('--', `${registry.replace(/\/+$/, '')}/`, remoteDir(peer, set));
  return args;
}

// The other way: the peer's copy of a set into a local folder (sync diff, sync adopt --from).
export function pullArgs(set: string, peer: PushTarget, into: string, timeoutMs: number, keep?: { stamp: string }): string[] {
  const args = ['-a', '--checksum', '--delay-updates'];
  if (keep) args.push('--delete', '--delete-delay', '--backup', `--backup-dir=${HISTORY_DIR}/${keep.stamp}`);
  for (const f of FILTERS) args.push(`--filter=${f}`);
  args.push(...transportArgs(peer, timeoutMs), '--', remoteDir(peer, set), `${into.replace(/\/+$/, '')}/`);
  return args;
}

// One push of a set's registry to one peer. Never throws for rsync's own failures: the result
// says what happened.
export function pushRegistry(
  registry: string,
  set: string,
  peer: PushTarget,
  opts: { timeoutMs: number; signal?: AbortSignal; mode?: PushMode; stamp?: string },
): Promise<PushResult> {
  return runRsync(rsyncArgs(registry, set, peer, opts.timeoutMs, opts.mode, opts.stamp), peer, opts);
}

// The lines of rsync's stderr that say why: a daemon's own @ERROR lines (unknown module, auth
// failed), which come before rsync's generic last lines, then the last `n` lines.
function stderrGist(stderr: string, n: number): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  return [...new Set([...lines.filter((l) => l.startsWith('@ERROR')), ...lines.slice(-n)])].join(' | ');
}

// One rsync run to or from a peer, its failure put in words.
export async function runRsync(args: string[], peer: PushTarget, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<PushResult> {
  const started = performance.now();
  try {
    const res = await run('rsync', args, { timeoutMs: opts.timeoutMs + 2_000, signal: opts.signal, reject: false });
    const durationMs = performance.now() - started;
    if (res.exitCode === 0) return { ok: true, exitCode: 0, durationMs, vanished: false };
    if (res.exitCode === 24) return { ok: true, exitCode: 24, durationMs, vanished: true };
    const said = stderrGist(res.stderr, 2);
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

export type PeerManifest = { kind: 'none' } | { kind: 'bad'; why: string } | { kind: 'ok'; manifest: Manifest } | { kind: 'error'; error: string };

// The peer's generation of a set, read through the same transport a push takes (one file), so it
// does not depend on the peer's agent answering.
export async function fetchPeerManifest(
  set: string,
  peer: PushTarget,
  token: string | undefined,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<PeerManifest> {
  const dir = await mkdtemp(join(tmpdir(), 'supha-manifest-'));
  try {
    const args = ['--no-motd', ...transportArgs(peer, opts.timeoutMs), '--', `${remoteDir(peer, set)}${MANIFEST}`, `${dir}/`];
    const res = await run('rsync', args, { timeoutMs: opts.timeoutMs + 2_000, signal: opts.signal, reject: false }).catch((err: unknown) => ({
      exitCode: -1,
      stderr: errorMessage(err),
    }));
    // 23 with "No such file": the peer has no manifest (never replicated) or no folder for the set.
    // Over ssh, rrsync says so itself and the connection ends (12).
    if ((res.exitCode === 23 || res.exitCode === 12) && /No such file or directory/.test(res.stderr)) return { kind: 'none' };
    if (res.exitCode !== 0) {
      const said = stderrGist(res.stderr, 1);
      return {
        kind: 'error',
        error: `reading the peer's generation: rsync exit ${res.exitCode} (${EXIT_MEANING[res.exitCode] ?? 'failed'})${said ? `: ${said}` : ''}`,
      };
    }
    const r = await readManifestFile(join(dir, MANIFEST), token);
    return r.kind === 'bad' ? { kind: 'bad', why: `peer ${r.why.replace(`${dir}/`, '')}` } : r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
