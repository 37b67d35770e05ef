import { chmod, mkdir, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../util/log.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

export type ControlHandler = (req: ControlRequest) => Promise<ControlResponse>;

// The agent's local control socket: newline-delimited JSON, mode 0600.
export async function startControlServer(path: string, handle: ControlHandler, log: Logger): Promise<Server> {
  await mkdir(dirname(path), { recursive: true });
  await unlink(path).catch(() => {});
  const server = createServer((sock: Socket) => serve(sock, handle, log));
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  await chmod(path, 0o600);
  return server;
}

function serve(sock: Socket, handle: ControlHandler, log: Logger): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', () => {});
  sock.on('data', (d: string) => {
    buf += d;
    if (buf.length > 1_000_000) {
      sock.destroy();
      return;
    }
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      void answer(line, handle, log).then((res) => {
        if (!sock.destroyed) sock.write(`${JSON.stringify(res)}\n`);
      });
    }
  });
}

async function answer(line: string, handle: ControlHandler, log: Logger): Promise<ControlResponse> {
  let req: ControlRequest;
  try {
    req = JSON.parse(line) as ControlRequest;
    if (typeof req !== 'object' || req === null || typeof req.op !== 'string') throw new Error('no op');
  } catch {
    log.warn({ line: line.slice(0, 200) }, 'control: malformed request ignored');
    return { ok: false, error: 'malformed request: expected one JSON object with "op" a line' };
  }
  try {
    return await handle(req);
  } catch (err) {
    log.error({ err, op: req.op }, 'control: request failed');
    return { ok: false, error: (err as Error).message };
  }
}
