import { loadConfig } from '../../config/index.js';
import { EXIT, UsageError, UserError } from '../../errors.js';
import { audit } from '../../supzcli/audit.js';
import { formatSyncStatus, type SyncStatus } from '../../sync/index.js';
import type { Io } from '../io.js';
import { ask } from './agent-client.js';

type Action = 'status' | 'pause' | 'resume' | 'diff' | 'adopt' | 'history' | 'restore' | 'accept';
type Args = {
  config?: string | undefined;
  action: Action;
  name?: string | undefined;
  files?: string[] | undefined;
  set?: string | undefined;
  from?: string | undefined;
  local?: boolean | undefined;
  peer?: string | undefined;
  json?: boolean | undefined;
  rrsync?: string | undefined;
};

// supha sync status|pause|resume [--set S] through the agent's control socket; diff, adopt,
// history and restore SET work on this node's files and the peers' copies directly.
export async function syncCommand(args: Args, io: Io): Promise<number> {
  if (args.action === 'accept') return acceptCommand(args, io);
  if (['diff', 'adopt', 'history', 'restore'].includes(args.action)) return operatorCommand(args, io);
  if (args.name !== undefined) throw new UsageError(`sync ${args.action}: takes no set name (use --set)`);
  if (args.action === 'status' && args.set !== undefined) throw new UsageError('sync status: --set is not taken; it shows every set');
  const res = await ask(args, io, { op: 'sync', action: args.action as 'status' | 'pause' | 'resume', ...(args.set === undefined ? {} : { set: args.set }) });
  const status = res.sync as SyncStatus;
  if (args.json) io.out(JSON.stringify(status));
  else if (args.action === 'status') for (const line of formatSyncStatus(status)) io.out(line);
  else io.out(`${args.action === 'pause' ? 'paused' : 'resumed'} replication of ${args.set ?? 'all sets'}`);
  return EXIT.OK;
}

async function operatorCommand(args: Args, io: Io): Promise<number> {
  const set = args.name;
  if (set === undefined) throw new UsageError(`sync ${args.action}: name the set (supha sync ${args.action} SET)`);
  const cfg = await loadConfig(args.config, io.env);
  const op = await import('../../sync/operator.js');
  const c = await op.setContext(cfg, set);
  if (args.action === 'diff') {
    for (const d of await op.diffSet(c, args.peer)) {
      const gen = (m: typeof d.local, who: string) => (m ? `generation ${m.counter} (${m.node}, ${m.time})` : `no generation on ${who}`);
      io.out(`${set}: here ${gen(d.local, 'this node')}; ${d.peer} ${gen(d.remote, d.peer)}: ${d.relation}`);
      for (const f of d.onlyHere) io.out(`  only here: ${f}`);
      for (const f of d.onlyThere) io.out(`  only on ${d.peer}: ${f}`);
      for (const f of d.differ) io.out(`  differs: ${f}`);
    }
    return EXIT.OK;
  }
  if (args.action === 'history') {
    const { listHistory } = await import('../../sync/index.js');
    const kept = await listHistory(c.registry);
    if (args.json) io.out(JSON.stringify(kept));
    else if (kept.length === 0) io.out(`${set}: nothing kept in ${c.registry}/.supha-history`);
    else for (const k of kept) io.out(`${k.id}  ${k.size} B  ${k.path}`);
    return EXIT.OK;
  }
  const record = (outcome: 'begin' | 'ok' | 'error', names: string[], reason?: string) =>
    audit(
      cfg['state-dir'],
      { verb: `sync ${args.action}`, names, outcome, ...(outcome === 'begin' ? {} : { exit: outcome === 'ok' ? 0 : 1 }), ...(reason ? { reason } : {}) },
      io.env,
    );
  // The audit line goes first: if it cannot be written, nothing is done.
  record('begin', [set, ...(args.files ?? [])]);
  try {
    if (args.action === 'restore') {
      const files = args.files ?? [];
      if (files.length === 0) throw new UsageError('sync restore: name the kept files (supha sync history SET lists them)');
      const role = ((await ask(args, io, { op: 'sync', action: 'status' })).sync as SyncStatus).sets[set]?.role;
      if (role !== 'MASTER')
        throw new UserError(
          `sync restore ${set}: this node is ${role ?? 'not running the set'}, not MASTER; restore on the MASTER (a replica is replaced by its next push)`,
        );
      const { restoreHistory } = await import('../../sync/index.js');
      const done = await restoreHistory(c.registry, c.node, files);
      record('ok', [set, ...done]);
      io.out(`restored into ${c.registry}: ${done.join(', ')}`);
      return EXIT.OK;
    }
    if ((args.from === undefined) === (args.local !== true)) throw new UsageError('sync adopt: give exactly one of --from NODE or --local');
    if (args.from !== undefined) {
      const m = await op.adoptFrom(c, args.from);
      record('ok', [set], `from ${args.from}: generation ${m.counter}`);
      io.out(
        `adopted ${set} from ${args.from}: generation ${m.counter} (${m.node}, ${m.time}), ${Object.keys(m.files).length} conf(s); replaced files kept in ${c.registry}/.supha-history`,
      );
    } else {
      const { manifest: m, over } = await op.adoptLocal(c);
      record('ok', [set], `local: generation ${m.counter}`);
      io.out(
        `adopted ${set} as it is here: generation ${m.counter}, ${Object.keys(m.files).length} conf(s)${over.length ? `, after ${over.join(', ')}` : ''}; the next push from the MASTER replaces the peers' copies (kept in their history)`,
      );
    }
    return EXIT.OK;
  } catch (err) {
    if (err instanceof UserError) {
      try {
        record('error', [set], err.message);
      } catch {}
    }
    throw err;
  }
}

// supha sync accept: rsyncd's pre-xfer exec (src/sync/accept.ts). What it prints on stdout is
// what rsyncd shows the client when it refuses.
async function acceptCommand(args: Args, io: Io): Promise<number> {
  const cfg = await loadConfig(args.config, io.env);
  const { acceptTransfer, daemonTransfer, sshTransfer } = await import('../../sync/accept.js');
  // --rrsync ROOT: the ssh forced command; the transfer is rrsync's once accepted.
  const t = args.rrsync === undefined ? daemonTransfer(io.env) : sshTransfer(io.env.SSH_ORIGINAL_COMMAND, args.rrsync);
  if ('error' in t) throw new UsageError(`sync accept: ${t.error}`);
  const roles = async () => {
    const sets = ((await ask(args, io, { op: 'sync', action: 'status' }, 2_000)).sync as SyncStatus).sets;
    return Object.fromEntries(Object.entries(sets).map(([s, v]) => [s, v.role]));
  };
  const received = async (sets: string[]) => {
    for (const set of sets) await ask(args, io, { op: 'sync', action: 'received', set }, 2_000);
  };
  const r = await acceptTransfer(t, cfg.ha?.['service-sets'] ?? {}, roles, received);
  if (!r.ok) {
    if (args.rrsync === undefined) io.out(`supha: ${r.why}`);
    else io.err(`supha: ${r.why}`);
    return EXIT.FAILED;
  }
  if (args.rrsync === undefined) return EXIT.OK;
  const { run } = await import('../../util/exec.js');
  // NOTE: rrsync reads SSH_ORIGINAL_COMMAND itself; the session lasts as long as rsync's own timeout.
  const res = await run('/usr/bin/rrsync', [args.rrsync], { inherit: true, reject: false, timeoutMs: 6 * 3_600_000 });
  return res.exitCode;
}
