import { createConnection } from 'node:net';
import { UserError } from '../errors.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

// No agent listens on the control socket (not running, or another state dir).
export class AgentUnreachable extends UserError {
  override name = 'AgentUnreachable';
}

// Sends one request to the agent and waits for its one-line answer.
export function askAgent(socketPath: string, req: ControlRequest, timeoutMs = 5_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = '';
    let done = false;
    const finish = (err: Error | undefined, res?: ControlResponse) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(res as ControlResponse);
    };
    const timer = setTimeout(() => finish(new AgentUnreachable(`agent at ${socketPath}: no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        finish(undefined, JSON.parse(buf.slice(0, nl)) as ControlResponse);
      } catch {
        finish(new AgentUnreachable(`agent at ${socketPath}: bad answer`));
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'not running (no one listens on the control socket)' : (err.code ?? err.message);
      finish(new AgentUnreachable(`agent at ${socketPath}: ${why}`));
    });
    sock.on('close', () => finish(new AgentUnreachable(`agent at ${socketPath}: closed without answering`)));
  });
}
