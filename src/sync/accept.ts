import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Role } from '../agent/module.js';

// `supha sync accept`: the gate in front of the receiving rsync (rsyncd's `pre-xfer exec`, or
// the ssh forced command before rrsync). The MASTER of a set signs whatever changes in its
// registry (src/sync/set.ts), so a write into that registry through the rsync module would be
// signed and pushed to every peer: a write into a set's registry is accepted only while this
// node's agent says it is not MASTER of that set (fail closed: no answer, no write). Reads are
// always accepted (a MASTER reads its peers' manifests; `adopt --from` reads a MASTER).

export interface Transfer {
  // The client sends files here (the daemon receives), or only reads.
  write: boolean;
  // The folder (or file) on this host the transfer names.
  dest: string;
}

// The server-side arguments of an rsync transfer (`--server [--sender] OPTS . PATH`). A read is
// `--sender` right after `--server`, as rsync and rrsync take it (a `--sender` elsewhere can be
// the value of an option: `-M--suffix -M--sender` still receives). A write must name one path and
// no option that reads or writes a path of its own (another set's registry through
// `--backup-dir=/other`, `--partial-dir`, `--temp-dir`, the `*-dest` and `*-from` options) or
// follows a symlink the client planted (-K); `--backup-dir` only below the destination (the
// pushes' own `.supha-history/<stamp>`).
const PATH_OPTIONS =
  /^--(partial-dir|temp-dir|compare-dest|copy-dest|link-dest|files-from|exclude-from|include-from|log-file|write-batch|only-write-batch|read-batch|keep-dirlinks|copy-dirlinks|copy-unsafe-links|copy-links|munge-links|old-args|protect-args|secluded-args|suffix)(=|$)/;

function serverArgs(args: readonly string[]): { write: boolean; backupDir?: string } | { error: string } {
  if (args[0] !== '--server') return { error: 'not an rsync server command' };
  if (args[1] === '--sender') return { write: false };
  const dot = args.indexOf('.');
  if (dot < 0 || dot !== args.length - 2) return { error: `a write must name exactly one path after ".": ${args.join(' ')}` };
  let backupDir: string | undefined;
  for (let i = 1; i < dot; i++) {
    const a = args[i] ?? '';
    if (a === '--sender') return { error: `--sender not right after --server: ${args.join(' ')}` };
    if (/^-[^-]/.test(a) && /[KkLTs]/.test(a.split('e.')[0] ?? a)) return { error: `option ${a} (symlinks, a temp dir or secluded args) refused for a write` };
    if (PATH_OPTIONS.test(a)) return { error: `option ${a} refused for a write` };
    if (a === '--backup-dir') {
      backupDir = args[i + 1];
      i++;
    } else if (a.startsWith('--backup-dir=')) backupDir = a.slice('--backup-dir='.length);
  }
  if (backupDir !== undefined && (backupDir === '' || backupDir.split('/').includes('..'))) return { error: `--backup-dir ${backupDir} refused for a write` };
  return backupDir === undefined ? { write: true } : { write: true, backupDir };
}

// A write's --backup-dir must stay inside its destination (an absolute one is read from the root
// of the module or of rrsync's folder, a relative one from the destination, as rsync does).
function backupInside(root: string, dest: string, backupDir: string | undefined): boolean {
  if (backupDir === undefined) return true;
  const b = isAbsolute(backupDir) ? within(root, backupDir.replace(/^\/+/, '')) : within(dest, backupDir);
  return b !== undefined && inside(b, dest);
}

// Inside `root`, or undefined when the path leaves it.
function within(root: string, path: string): string | undefined {
  const p = resolve(root, `./${path}`);
  const rel = relative(root, p);
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : p;
}

// rsyncd's pre-xfer exec environment (rsyncd.conf(5)): RSYNC_MODULE_NAME, RSYNC_MODULE_PATH,
// RSYNC_REQUEST ("module/path"), RSYNC_ARG0.. (ARG0 is "rsyncd").
export function daemonTransfer(env: NodeJS.ProcessEnv): Transfer | { error: string } {
  const name = env.RSYNC_MODULE_NAME;
  const root = env.RSYNC_MODULE_PATH;
  const request = env.RSYNC_REQUEST;
  if (!name || !root || request === undefined) return { error: 'not run by rsyncd (no RSYNC_MODULE_NAME, RSYNC_MODULE_PATH, RSYNC_REQUEST)' };
  const args: string[] = [];
  for (let i = 1; env[`RSYNC_ARG${i}`] !== undefined; i++) args.push(env[`RSYNC_ARG${i}`] ?? '');
  const path = request === name ? '' : request.startsWith(`${name}/`) ? request.slice(name.length + 1) : undefined;
  const dest = path === undefined ? undefined : within(root, path);
  if (dest === undefined) return { error: `request ${request} is not inside module ${name}` };
  const sa = serverArgs(args);
  if ('error' in sa) return sa;
  if (!backupInside(root, dest, sa.backupDir)) return { error: `--backup-dir ${sa.backupDir} refused: it must stay inside ${request}` };
  return { write: sa.write, dest };
}

// An ssh forced command's SSH_ORIGINAL_COMMAND (`rsync --server ... . PATH`), for rrsync confined
// to `root` (a leading slash is the root of its folder).
export function sshTransfer(command: string | undefined, root: string): Transfer | { error: string } {
  const words = (command ?? '').trim().split(/\s+/);
  if (words[0] !== 'rsync' || words[1] !== '--server') return { error: 'not an rsync server command (SSH_ORIGINAL_COMMAND)' };
  const sa = serverArgs(words.slice(1));
  if ('error' in sa) return sa;
  const dot = words.indexOf('.', 2);
  const path = dot < 0 ? undefined : words.at(-1);
  // rrsync expands backslashes, quotes, braces and globs in the path: none of them in a write's.
  if (sa.write && path !== undefined && /[\\'"*?[\]{}~$`]/.test(path)) return { error: `path ${path} refused: no quoting or patterns in a write's path` };
  const dest = path === undefined || dot === words.length - 1 ? undefined : within(root, path.replace(/^\/+/, ''));
  if (dest === undefined) return { error: `no path inside ${root} in: ${command}` };
  if (!backupInside(root, dest, sa.backupDir)) return { error: `--backup-dir ${sa.backupDir} refused: it must stay inside ${path}` };
  return { write: sa.write, dest };
}

// The real path of a path that may not exist yet (a set's first push makes its folder).
async function real(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const up = dirname(path);
    return up === path ? path : join(await real(up), basename(path));
  }
}

const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith('/') ? b : `${b}/`);

// Whether the transfer may go on; `roles` asks the agent for this node's role of every set
// (throws when no agent answers); `received` tells it a write into these sets goes on (the
// promotion rule then carries only what a verified generation lists: src/sync/carry.ts).
export async function acceptTransfer(
  t: Transfer,
  sets: Record<string, { registry: string }>,
  roles: () => Promise<Record<string, Role | undefined>>,
  received: (sets: string[]) => Promise<void>,
): Promise<{ ok: true; why: string } | { ok: false; why: string }> {
  if (!t.write) return { ok: true, why: 'a read' };
  const dest = await real(t.dest);
  const touched: string[] = [];
  for (const [set, sc] of Object.entries(sets)) {
    const reg = await real(sc.registry);
    if (inside(dest, reg) || inside(reg, dest)) touched.push(set);
  }
  if (touched.length === 0) return { ok: false, why: `${t.dest} is no service set's registry here: write refused` };
  let now: Record<string, Role | undefined>;
  try {
    now = await roles();
  } catch (err) {
    return { ok: false, why: `write into ${touched.join(', ')} refused: the agent did not answer (${(err as Error).message}); fail closed` };
  }
  const master = touched.filter((s) => now[s] === 'MASTER' || now[s] === undefined);
  if (master.length > 0)
    return {
      ok: false,
      why: `write into ${t.dest} refused: this node is ${master.map((s) => `${now[s] ?? 'not running'} of ${s}`).join(', ')}; only a node that is not MASTER of a set receives it (a MASTER signs what lands in its registry)`,
    };
  try {
    await received(touched);
  } catch (err) {
    return { ok: false, why: `write into ${touched.join(', ')} refused: the agent did not record it (${(err as Error).message}); fail closed` };
  }
  return { ok: true, why: `not MASTER of ${touched.join(', ')}` };
}
