import { type ChildProcess, spawn } from 'node:child_process';
import { type Host, type NetRig, SUBNET } from '../test/helpers/netns.js';

// `ip monitor address` in a host's namespace: `added` resolves with the moment (epoch ms) the
// VIP is added to an interface there, as keepalived does on entering MASTER.
export async function watchVip(net: NetRig, host: Host, vip: string): Promise<{ added: Promise<number>; stop(): void }> {
  const mon: ChildProcess = spawn('ip', ['netns', 'exec', host.ns, 'ip', '-o', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  let onLine: (line: string) => void = () => {};
  mon.stdout?.on('data', (d) => {
    out += String(d);
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
  // Ready once it reports an address we add and remove (a condition, not a sleep).
  const probe = `${SUBNET}.250`;
  const ready = new Promise<void>((resolve, reject) => {
    onLine = (l) => l.includes(probe) && resolve();
    mon.once('exit', (code) => reject(new Error(`ip monitor exited ${code}`)));
  });
  await net.exec(host, ['ip', 'addr', 'add', `${probe}/32`, 'dev', 'lo']);
  await ready;
  await net.exec(host, ['ip', 'addr', 'del', `${probe}/32`, 'dev', 'lo']);
  const added = new Promise<number>((resolve) => {
    onLine = (l) => {
      if (l.includes(`${vip}/`) && !l.startsWith('Deleted')) resolve(Date.now());
    };
  });
  return { added, stop: () => mon.kill('SIGTERM') };
}
