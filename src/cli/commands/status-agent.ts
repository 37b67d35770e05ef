import { AgentUnreachable, askAgent, controlSocketPath, formatAgentStatus } from '../../agent/index.js';
import type { Config } from '../../config/index.js';

// The agent's part of `supha status`: its status, or one line saying it does not answer.
export async function agentStatus(cfg: Config): Promise<{ json: unknown; lines: string[] }> {
  try {
    const res = await askAgent(controlSocketPath(cfg), { op: 'status' }, 2_000);
    if (!res.ok) return { json: { error: res.error }, lines: ['', `agent: ${res.error}`] };
    return { json: res.status, lines: ['', ...formatAgentStatus(res.status as Parameters<typeof formatAgentStatus>[0])] };
  } catch (err) {
    if (!(err instanceof AgentUnreachable)) throw err;
    return { json: { error: err.message }, lines: ['', err.message] };
  }
}
