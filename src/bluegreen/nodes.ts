import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { errorMessage, UserError } from '../errors.js';
import { checkUrl } from '../health/check.js';
import { listNodes, type NodeRef, nginxOf } from '../health/round.js';
import { clientFromConfig, type FaultName, isFault, type SupervisorClient } from '../supervisor/index.js';
import { run, splitCommand } from '../util/exec.js';
import type { Logger } from '../util/log.js';
import { isBooting, readStarts, recordStart, recordUp } from './starts.js';

// What node operations need. The supervisord client is made on first use.
export interface NodeCtx {
  cfg: Config;
  log: Logger;
  client?: SupervisorClient;
}

function clientOf(ctx: NodeCtx): SupervisorClient {
  ctx.client ??= clientFromConfig(ctx.cfg);
  return ctx.client;
}

// Where a node's start/stop command writes (and the daemon it leaves may keep writing).
export const nodeLogPath = (ctx: NodeCtx, ref: NodeRef) => join(ctx.cfg['state-dir'], 'node-logs', `${ref.name}.log`);

// Up = supervisord has it RUNNING or STARTING (BACKOFF is a failing start, not up); for a
// start-cmd node, its health URL answers 200 (recorded, so it is no longer booting).
export async function isNodeUp(ctx: NodeCtx, ref: NodeRef): Promise<boolean> {
  const program = ref.node['supervisor-program'];
  if (program !== undefined) {
    const info = await clientOf(ctx).getProcessInfo(program);
    return info.statename === 'RUNNING' || info.statename === 'STARTING';
  }
  const r = await checkUrl(ref.node['health-check-url'], nginxOf(ctx.cfg).health['timeout-ms']);
  if (r.code !== 200) return false;
  if ((await readStarts(ctx.cfg))[ref.name]?.up === false) await recordUp(ctx.cfg, ref.name);
  return true;
}

// Runs a node's start-cmd or stop-cmd: no pipes (jetty.sh start leaves the JVM holding them),
// own process group, killed with its group after health.cmd-timeout-ms.
async function runNodeCmd(ctx: NodeCtx, ref: NodeRef, key: 'start-cmd' | 'stop-cmd'): Promise<void> {
  const [file, args] = splitCommand(ref.node[key] ?? '');
  await run(file, args, { timeoutMs: nginxOf(ctx.cfg).health['cmd-timeout-ms'], outputFile: nodeLogPath(ctx, ref) });
}

export type StartOutcome = 'started' | 'booting';

// Starts a node and records the start (its grace begins). A start-cmd node that supha started
// less than start-grace-ms ago and that has not answered since is booting: not started again
// (a second jetty.sh start says "already running" and fails). A supervisord program in BACKOFF
// is stopped first (supervisord refuses to start it).
export async function startNodeOutcome(ctx: NodeCtx, ref: NodeRef): Promise<StartOutcome> {
  const program = ref.node['supervisor-program'];
  const grace = nginxOf(ctx.cfg).health['start-grace-ms'];
  if (program === undefined && isBooting((await readStarts(ctx.cfg))[ref.name], grace)) {
    if (await isNodeUp(ctx, ref)) return 'started';
    ctx.log.info({ node: ref.name, group: ref.group }, 'node still booting from its last start; not started again');
    return 'booting';
  }
  await recordStart(ctx.cfg, ref.name);
  if (program !== undefined) {
    const client = clientOf(ctx);
    if ((await client.getProcessInfo(program)).statename === 'BACKOFF') await tolerate(client.stopProcess(program, true), 'NOT_RUNNING');
    await tolerate(client.startProcess(program, true), 'ALREADY_STARTED');
  } else {
    // A start that failed is not booting: the next start runs the command again.
    await runNodeCmd(ctx, ref, 'start-cmd').catch(async (err: unknown) => {
      await recordUp(ctx.cfg, ref.name);
      throw err;
    });
  }
  ctx.log.info({ node: ref.name, group: ref.group }, 'node started');
  return 'started';
}

// A stopped node is not booting any more.
export async function stopNode(ctx: NodeCtx, ref: NodeRef): Promise<void> {
  const program = ref.node['supervisor-program'];
  if (program !== undefined) await tolerate(clientOf(ctx).stopProcess(program, true), 'NOT_RUNNING');
  else await runNodeCmd(ctx, ref, 'stop-cmd');
  if ((await readStarts(ctx.cfg))[ref.name]?.up === false) await recordUp(ctx.cfg, ref.name);
  ctx.log.info({ node: ref.name, group: ref.group }, 'node stopped');
}

export const startNode = async (ctx: NodeCtx, ref: NodeRef): Promise<void> => {
  await startNodeOutcome(ctx, ref);
};

// A supervisord call whose repeat fault (already started, not running) is no error.
async function tolerate(call: Promise<unknown>, fault: FaultName): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (!isFault(err, fault)) throw err;
  }
}

// Runs fn on every node at once; throws the first failure after all have settled, naming the node.
export async function eachNode(refs: NodeRef[], fn: (ref: NodeRef) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(refs.map(fn));
  const failed = results.map((r, i) => [r, refs[i]] as const).filter(([r]) => r.status === 'rejected');
  if (failed.length > 0) {
    const [r, ref] = failed[0]!;
    const why = (r as PromiseRejectedResult).reason;
    throw new UserError(`node ${ref?.name}: ${errorMessage(why)}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''}`, undefined, { cause: why });
  }
}

// Stops every node of a group; one result per node.
export async function eachNodeStop(ctx: NodeCtx, group: string): Promise<{ node: string; ok: boolean; detail?: string }[]> {
  const refs = listNodes(ctx.cfg, group);
  const results = await Promise.allSettled(refs.map((n) => stopNode(ctx, n)));
  return results.map((r, i) => {
    const node = refs[i]?.name ?? '';
    return r.status === 'fulfilled' ? { node, ok: true } : { node, ok: false, detail: r.reason instanceof Error ? r.reason.message : String(r.reason) };
  });
}
