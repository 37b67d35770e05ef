import { askAgent } from '../agent/control-client.js';
import { controlSocketPath } from '../agent/paths.js';
import type { StatusView } from '../agent/status-view.js';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { type Check, ok, skip, warn } from './types.js';

// What the running agent heard that no set follows: keepalived instances whose events it ignored
// (a set named after the wrong instance does nothing, and says so only here and in status).
export async function agentChecks(cfg: Config): Promise<Check[]> {
  if (!cfg.ha || Object.keys(cfg.ha['service-sets']).length === 0) return [];
  const socket = controlSocketPath(cfg);
  let view: StatusView;
  try {
    const res = await askAgent(socket, { op: 'status' }, 3_000);
    if (!res.ok) return [skip('agent events', `${socket}: ${res.error}`)];
    view = res.status as StatusView;
  } catch (err) {
    return [skip('agent events', errorMessage(err))];
  }
  const strays = view.unknownInstances ?? [];
  const more = view.unknownInstanceEventsUnlisted ? `, and ${view.unknownInstanceEventsUnlisted} events for further instances` : '';
  if (strays.length === 0) return [ok('agent events', `${socket}: no event for an instance no set follows`)];
  const named = strays.map((u) => `${u.instance} (${u.events} events, last ${u.lastState} at ${u.lastAt})`).join(', ');
  return [
    warn(
      'agent events',
      `the agent ignored events for keepalived instance ${named}${more}: no set follows it`,
      "name it in ha.service-sets.<set>.vrrp-instance exactly as in keepalived.conf, or ignore this if it is not supha's",
    ),
  ];
}
