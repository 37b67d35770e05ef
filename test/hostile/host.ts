import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentProc, startAgent } from '../helpers/agent.js';
import { type Keepalived, startKeepalived } from '../helpers/keepalived.js';
import { createNetRig, type NetRig, SUBNET } from '../helpers/netns.js';
import { programConf, type Supervisord, startSupervisord } from '../helpers/supervisord.js';
import { tempDir, waitFor, writeJson } from '../helpers/tmp.js';

export interface HostileHost {
  net: NetRig;
  sv: Supervisord;
  ka: Keepalived;
  agent: AgentProc;
  cfgPath: string;
  sock: string;
  fifo: string;
  // app1, the set's one program, is RUNNING
  running(): Promise<boolean>;
  stop(): Promise<void>;
}

// One host in a namespace with a real keepalived (alone, so MASTER), supervisord and agent; the
// set's one program runs when this resolves.
export async function startHostileHost(): Promise<HostileHost> {
  const net = await createNetRig(1);
  const host = net.hosts[0];
  if (!host) throw new Error('no host');
  const tmp = await tempDir('supha-hostile-agent-');
  const reg = join(tmp.dir, 'registry');
  await mkdir(reg, { recursive: true });
  await writeFile(join(reg, 'app1.conf'), programConf('app1', { command: '/bin/sleep 1000' }));
  const sv = await startSupervisord({ dir: join(tmp.dir, 'sv'), include: [join(reg, '*.conf')], wrap: net.wrap(host) });
  const fifo = join(tmp.dir, 'ka.fifo');
  const sock = join(tmp.dir, 'state', 'agent.sock');
  const cfgPath = await writeJson(join(tmp.dir, 'config.json'), {
    'project-name': 'hostile',
    'state-dir': 'state',
    supervisor: { 'server-url': sv.url, 'registry-dirs': [] },
    ha: {
      'node-name': 'h1',
      keepalived: { 'notify-fifo': fifo, 'pid-file': join(tmp.dir, 'keepalived.pid') },
      'service-sets': { app: { 'vrrp-instance': 'VI_H', registry: reg, vip: `${SUBNET}.150` } },
      agent: { listen: '127.0.0.1:7373', 'reconcile-interval-ms': 300 },
    },
  });
  const parts: Partial<HostileHost> = { net, sv, cfgPath, sock, fifo };
  const stop = async () => {
    await parts.agent?.stop();
    await parts.ka?.stop();
    await sv.stop();
    await tmp.cleanup();
    await net.destroy();
  };
  const running = async () => (await sv.client().getProcessInfo('app1')).statename === 'RUNNING';
  try {
    parts.agent = await startAgent(cfgPath, sock, { prefix: net.wrap(host) });
    parts.ka = await startKeepalived({
      dir: tmp.dir,
      wrap: net.wrap(host),
      instance: 'VI_H',
      routerId: 81,
      priority: 150,
      srcIp: host.ip,
      peers: [`${SUBNET}.99`],
      vip: `${SUBNET}.150`,
      fifo,
    });
    await waitFor('the set to run on its MASTER', running, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...(parts as Required<typeof parts>), running, stop } as HostileHost;
}
