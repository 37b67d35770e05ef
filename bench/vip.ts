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
  // Ready once it reports an address we add and remove (a condition, not a sleep); the monitor may
  // subscribe after the first probe, so the probe repeats until it is seen.
  const probe = `${SUBNET}.250`;
  let seen = false;
  let exited = false;
  onLine = (l) => {
    if (l.includes(probe)) seen = true;
  };
  mon.once('exit', () => {
    exited = true;
  });
  for (let i = 0; !seen; i++) {
    if (exited || i === 100) throw new Error('ip monitor address did not start');
    await net.exec(host, ['ip', 'addr', 'add', `${probe}/32`, 'dev', 'lo']);
    await net.exec(host, ['ip', 'addr', 'del', `${probe}/32`, 'dev', 'lo']);
    await new Promise((r) => setTimeout(r, 50));
  }
  const added = new Promise<number>((resolve) => {
    onLine = (l) => {
      if (l.includes(`${vip}/`) && !l.startsWith('Deleted')) resolve(Date.now());
    };
  });
  return { added, stop: () => mon.kill('SIGTERM') };
}
