import type { Server } from 'node:http';
import type { Logger } from '../../util/log.js';
import { type HttpApi, routes } from './routes.js';
import { guardedServer, type HttpLimits, listen } from './server.js';

export type { HttpApi } from './routes.js';
export type { HttpLimits } from './server.js';

// The agent's HTTP API (docs/agent.md), listening on ha.agent.listen.
export async function startHttpServer(address: string, limits: HttpLimits, token: string | undefined, api: HttpApi, log: Logger): Promise<Server> {
  const { server } = guardedServer(limits, routes(api, token, limits['max-body-bytes']), log);
  await listen(server, address);
  return server;
}
