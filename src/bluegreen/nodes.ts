import type { Config } from '../config/index.js';
import { errorMessage, UserError } from '../errors.js';
import { checkUrl } from '../health/check.js';
import { listNodes, type NodeRef, nginxOf } from '../health/round.js';
import { clientFromConfig, isFault, RUNNING_STATES, type SupervisorClient } from '../supervisor/index.js';
import { run, splitCommand } from '../util/exec.js';
import type { Logger } from '../util/log.js';

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

const CMD_TIMEOUT_MS = 120_000;

// Up = supervisord runs its program (or is starting it); for a start-cmd node, its health
// URL answers 200.
export async function isNodeUp(ctx: NodeCtx, ref: NodeRef): Promise<boolean> {
  const program = ref.node['supervisor-program'];
  if (program !== undefined) {
    const info = await clientOf(ctx).getProcessInfo(program);
    return RUNNING_STATES.has(info.statename) && info.statename !== 'STOPPING';
  }
  const r = await checkUrl(ref.node['health-check-url'], nginxOf(ctx.cfg).health['timeout-ms']);
  return r.code === 200;
}

// How a node is started or stopped: through supervisord (a repeat is no error) or its command.
const ACTIONS = {
  start: { fault: 'ALREADY_STARTED', cmd: 'start-cmd', done: 'node started' },
  stop: { fault: 'NOT_RUNNING', cmd: 'stop-cmd', done: 'node stopped' },
} as const;

async function nodeAction(ctx: NodeCtx, ref: NodeRef, action: keyof typeof ACTIONS): Promise<void> {
  const a = ACTIONS[action];
  const program = ref.node['supervisor-program'];
  if (program !== undefined) {
    try {
      const client = clientOf(ctx);
      await (action === 'start' ? client.startProcess(program, true) : client.stopProcess(program, true));
    } catch (err) {
      if (!isFault(err, a.fault)) throw err;
    }
  } else {
    const [file, args] = splitCommand(ref.node[a.cmd] ?? '');
    await run(file, args, { timeoutMs: CMD_TIMEOUT_MS });
  }
  ctx.log.info({ node: ref.name, group: ref.group }, a.done);
}

export const startNode = (ctx: NodeCtx, ref: NodeRef): Promise<void> => nodeAction(ctx, ref, 'start');
export const stopNode = (ctx: NodeCtx, ref: NodeRef): Promise<void> => nodeAction(ctx, ref, 'stop');

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
