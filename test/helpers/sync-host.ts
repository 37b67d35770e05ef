import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AgentContext, Role } from '../../src/agent/module.js';
import { parseConfig } from '../../src/config/index.js';
import { setGroups, startAll, stopAll, updateSet } from '../../src/ha/index.js';
import { scanRegistry } from '../../src/registry/index.js';
import { carryAcrossPromotion, carryFile } from '../../src/sync/carry.js';
import { SyncModule } from '../../src/sync/index.js';
import { unverifiedConfs } from '../../src/sync/replica.js';
import { silentLogger } from '../../src/util/log.js';
import { type Rsyncd, startRsyncd } from './rsyncd.js';
import { type Supervisord, startSupervisord } from './supervisord.js';
import { freePort, tempDir } from './tmp.js';

export const TOKEN = 'sync-test-token';

// One loopback "host" for replication tests: a real supervisord whose [include] covers the set's
// registry, a real rsync daemon serving the registries' parent folder, the sync module with an
// AgentContext whose roles the test sets, and the agent's /v1/role answer from those roles.
export interface SyncHost {
  name: string;
  dir: string;
  registry: string;
  sv: Supervisord;
  rsyncd: Rsyncd;
  roleUrl: string;
  roles: Map<string, Role>;
  // How the /v1/role answer behaves: answer, 401, or drop the connection (agent unreachable).
  roleMode: 'answer' | '401' | 'drop';
  // The config the module runs with, on disk (for supzcli): written by startModule.
  cfgPath: string;
  module: SyncModule | undefined;
  // Sets a role as the agent would after acting on it, and tells the listeners. Becoming MASTER,
  // first what the agent's pass does before it loads the registry as MASTER (carryAcrossPromotion).
  setRole(set: string, role: Role): Promise<void>;
  startModule(peers: SyncHost[], sync?: Record<string, number>): Promise<SyncModule>;
  stopModule(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSyncHost(name: string, set = 'apps'): Promise<SyncHost> {
  const tmp = await tempDir(`supha-${name}-`);
  const dir = tmp.dir;
  const registry = join(dir, 'registry', set);
  await mkdir(registry, { recursive: true });
  await writeFile(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  const sv = await startSupervisord({ dir: join(dir, 'sv'), include: [join(registry, '*.conf')] });
  const rsyncd = await startRsyncd({ path: join(dir, 'registry') });
  const roles = new Map<string, Role>([[set, 'BACKUP']]);
  let listeners: ((set: string, role: Role, previous: Role) => void)[] = [];
  let controller = new AbortController();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (host.roleMode === 'drop') {
      req.socket.destroy();
      return;
    }
    if (host.roleMode === '401' || req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    const s = url.searchParams.get('set') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ node: name, set: s, role: roles.get(s) ?? 'UNKNOWN' }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const host: SyncHost = {
    name,
    dir,
    registry,
    sv,
    rsyncd,
    roleUrl: `http://127.0.0.1:${port}`,
    roles,
    roleMode: 'answer',
    cfgPath: join(dir, 'config.json'),
    module: undefined,
    async setRole(s, role) {
      const previous = roles.get(s) ?? 'UNKNOWN';
      if (role === 'MASTER' && previous !== 'MASTER')
        await carryAcrossPromotion({ set: s, node: name, registry, token: TOKEN, statePath: carryFile(join(dir, 'state'), s), log: silentLogger });
      roles.set(s, role);
      for (const l of listeners) l(s, role, previous);
    },
    async startModule(peers, sync = {}) {
      const text = JSON.stringify({
        'project-name': 'sync-test',
        'state-dir': join(dir, 'state'),
        supervisor: { 'server-url': sv.url, 'registry-dirs': [] },
        ha: {
          'node-name': name,
          'service-sets': { [set]: { 'vrrp-instance': `VI_${set}`, registry } },
          peers: Object.fromEntries(
            peers.map((p) => [p.name, { 'agent-url': p.roleUrl, 'sync-target': p.rsyncd.url, 'password-file': p.rsyncd.passwordFile }]),
          ),
          sync: { 'debounce-ms': 20, 'retry-min-ms': 100, 'retry-max-ms': 400, ...sync },
          agent: { 'token-file': join(dir, 'token'), 'control-socket': join(dir, 'state', 'no-agent.sock') },
        },
      });
      await writeFile(host.cfgPath, text);
      const cfg = parseConfig(text, host.cfgPath);
      controller = new AbortController();
      listeners = [];
      const client = sv.client();
      let known = new Set<string>();
      const ctx: AgentContext = {
        cfg,
        log: silentLogger,
        client: sv.client(),
        signal: controller.signal,
        roleOf: (s) => roles.get(s) ?? 'UNKNOWN',
        onRoleChange: (l) => listeners.push(l),
        // NOTE: what the agent's reconcile loop does with a registry change, with the role the
        // test sets (these tests are about replication; test/agent tests the loop itself). A
        // non-MASTER refuses what no verified manifest lists, by the loop's own rule.
        registryChanged: async () => {
          const scan = await scanRegistry([registry]);
          const master = roles.get(set) === 'MASTER';
          const refused = master ? [] : await unverifiedConfs(registry, scan, TOKEN);
          const result = await updateSet(client, scan, known, refused);
          known = new Set(setGroups(scan.entries).map((g) => g.name));
          if (master) {
            const fresh = new Set([...result.added, ...result.changed]);
            const todo = setGroups(scan.entries).filter((g) => fresh.has(g.name));
            result.started = (await startAll(client, todo, await client.getAllProcessInfo(), { all: false, settleMs: 30_000 })).started;
          } else {
            await stopAll(client, setGroups(scan.entries, { loadable: false }), await client.getAllProcessInfo());
          }
          return result;
        },
      };
      const m = new SyncModule();
      await m.start(ctx);
      host.module = m;
      return m;
    },
    async stopModule() {
      controller.abort();
      await host.module?.stop();
      host.module = undefined;
    },
    async stop() {
      await host.stopModule().catch(() => {});
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rsyncd.stop().catch(() => {});
      await sv.stop().catch(() => {});
      await tmp.cleanup();
    },
  };
  return host;
}
