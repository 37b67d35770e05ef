import { errorMessage } from '../errors.js';
import { listNodes, nginxOf } from '../health/round.js';
import { freshHealth, readHealth, updateHealth } from '../health/status.js';
import { isNodeUp, type NodeCtx, startNodeOutcome, stopNode } from './nodes.js';
import { isBooting, readStarts, recordUp } from './starts.js';

export interface NodeAction {
  node: string;
  action: 'ok' | 'started' | 'booting' | 'restarted' | 'waiting' | 'gave-up' | 'failed';
  detail?: string;
}

// Brings a group's nodes up. A node that is just not running is started (unless it is still
// booting from a start by supha). A `dead` node is restarted within bounds: `reboot-count` per
// node, a backoff doubling from restart-backoff-ms, and start-grace-ms after any start by supha
// (nodes start, a switch, a restart) while it has not come up since; at most max-restarts (then
// it is left dead and reported). With onlyDead (the agent), nodes that are not dead are left alone.
export async function ensureGroupUp(ctx: NodeCtx, group: string, opts: { onlyDead: boolean; now?: number }): Promise<NodeAction[]> {
  const h = nginxOf(ctx.cfg).health;
  const now = opts.now ?? Date.now();
  const health = await readHealth(ctx.cfg);
  const starts = await readStarts(ctx.cfg);
  const out: NodeAction[] = [];
  for (const ref of listNodes(ctx.cfg, group)) {
    const cur = health[ref.name] ?? freshHealth(ref.node['health-check-url']);
    const count = cur['reboot-count'];
    const rec = starts[ref.name] ?? { at: 0, up: true };
    const last = rec.at;
    try {
      if (cur.status === 'running' && !rec.up) {
        rec.up = true;
        await recordUp(ctx.cfg, ref.name);
      }
      if (cur.status !== 'dead') {
        if (cur.status === 'running' && count > 0 && now - last >= h['restart-reset-ms']) {
          await updateHealth(ctx.cfg, (f) => {
            const n = f[ref.name];
            if (n) n['reboot-count'] = 0;
          });
        }
        if (opts.onlyDead || (await isNodeUp(ctx, ref))) {
          out.push({ node: ref.name, action: 'ok' });
          continue;
        }
        const how = await startNodeOutcome(ctx, ref);
        out.push(
          how === 'booting'
            ? { node: ref.name, action: 'booting', detail: `started ${Math.round((now - last) / 1000)}s ago, not answering yet` }
            : { node: ref.name, action: 'started' },
        );
        continue;
      }
      if (count >= h['max-restarts']) {
        ctx.log.warn({ node: ref.name, rebootCount: count }, 'node is dead and out of restarts; left dead');
        out.push({ node: ref.name, action: 'gave-up', detail: `${count} restarts used (max-restarts ${h['max-restarts']})` });
        continue;
      }
      let wait = count === 0 ? 0 : h['restart-backoff-ms'] * 2 ** (count - 1);
      if (isBooting(rec, h['start-grace-ms'], now)) wait = Math.max(wait, h['start-grace-ms']);
      if (now - last < wait) {
        out.push({ node: ref.name, action: 'waiting', detail: `next restart in ${Math.ceil((last + wait - now) / 1000)}s` });
        continue;
      }
      // Counted before it runs, so a restart that hangs or crashes us still counts. The node
      // gets fail-threshold checks again before it can be dead again.
      let counted = count + 1;
      await updateHealth(ctx.cfg, (f) => {
        const n = f[ref.name] ?? freshHealth(ref.node['health-check-url']);
        counted = Math.max(n['reboot-count'], count) + 1;
        f[ref.name] = { ...n, status: 'n/a', 'fail-count': 0, 'reboot-count': counted };
      });
      ctx.log.warn({ node: ref.name, rebootCount: counted }, 'restarting dead node');
      await stopNode(ctx, ref).catch((err: unknown) => ctx.log.warn({ err, node: ref.name }, 'stop before restart failed'));
      await startNodeOutcome(ctx, ref);
      out.push({ node: ref.name, action: 'restarted', detail: `restart ${counted} of ${h['max-restarts']}` });
    } catch (err) {
      ctx.log.error({ err, node: ref.name }, 'could not bring node up');
      out.push({ node: ref.name, action: 'failed', detail: errorMessage(err) });
    }
  }
  return out;
}
