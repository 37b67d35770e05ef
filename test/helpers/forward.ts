import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { stopChild } from './tmp.js';

// A loopback port here that reaches host:port (127.0.0.1 unless named) inside a namespace, through a unix socket in
// `dir` (so the browser stays in this namespace and nothing leaves loopback). Closed by close().
export async function forwardIntoNamespace(
  wrap: string[],
  port: number,
  dir: string,
  name: string,
  host = '127.0.0.1',
): Promise<{ port: number; close(): Promise<void> }> {
  const sock = join(dir, `${name}.fwd.sock`);
  const argv = [...wrap, process.execPath, join(ROOT, 'test/fixtures/unix-to-tcp.mjs'), sock, String(port), host];
  const child = spawn(argv[0] ?? '', argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  await once(child.stdout, 'data');
  const server = createServer((c) => {
    const up = connect(sock);
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    async close() {
      server.close();
      await stopChild(child, exited);
    },
  };
}
