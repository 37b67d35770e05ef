import type { Config } from '../config/index.js';
import { UserError } from '../errors.js';
import { nginxOf } from '../health/round.js';
import { readHealth } from '../health/status.js';
import { healthyPrimaries, type InstallResult, installUpstream, nginxTarget, renderUpstream } from '../nginx/index.js';
import type { Logger } from '../util/log.js';

export interface RenderResult {
  group: string;
  text: string;
  result: InstallResult;
}

// Renders `group` (default: the primary in node-group-status.json) and puts it live safely.
// Refuses a group without a healthy non-backup node unless force.
export async function renderGroup(cfg: Config, group: string, log: Logger, opts: { force?: boolean } = {}): Promise<RenderResult> {
  const nginx = nginxOf(cfg);
  const health = await readHealth(cfg);
  if (!opts.force && healthyPrimaries(nginx, group, health).length === 0) {
    log.warn({ group }, 'upstream render refused: no healthy non-backup node');
    throw new UserError(`group ${group} has no healthy non-backup node (all dead in node-health-status.json); not rendering (--force to render anyway)`);
  }
  const text = renderUpstream(nginx, group, health);
  const result = await installUpstream(nginxTarget(cfg), text, log);
  return { group, text, result };
}
