import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Config, parseConfig } from '../../src/config/index.js';
import { checkKeepalivedConf, kaChild, parseKeepalivedConf } from '../../src/keepalived/conf.js';
import { includeCovers, readSupervisordConf } from '../../src/supervisor/conf-file.js';

// The shipped examples are one coherent mutual-standby pair: node-a and node-b, sets "app"
// (prefers node-a) and "batch" (prefers node-b). Each file is read by its owner where the owner
// can say (supha's loader, keepalived -t, supervisord's own config parser) and checked against
// the others.
const top = join(import.meta.dirname, '../../..');
const nodes = ['node-a', 'node-b'] as const;
const cfgOf = (n: string): Config => parseConfig(readFileSync(join(top, 'conf', `${n}.json`), 'utf8'), '/etc/supha/config.json');

const child = kaChild;
const kaOf = (n: string) => parseKeepalivedConf(readFileSync(join(top, 'keepalived', `${n}.conf`), 'utf8'));
const hostOf = (hostPort: string) => hostPort.replace(/:\d+$/, '');

describe('shipped examples: one mutual-standby pair', () => {
  test('config check passes on both nodes, and conf/config.json (one blue/green host) too', () => {
    for (const n of nodes) assert.deepEqual(Object.keys(cfgOf(n).ha?.['service-sets'] ?? {}).sort(), ['app', 'batch']);
    parseConfig(readFileSync(join(top, 'conf/config.json'), 'utf8'), '/etc/supha/config.json');
  });

  test('keepalived -t accepts both files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'supha-ka-'));
    try {
      for (const n of nodes) assert.equal(await checkKeepalivedConf(join(top, 'keepalived', `${n}.conf`), join(dir, `${n}.log`)), undefined, n);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('keepalived and supha agree: instances, VIPs, FIFO, track files, addresses, swapped priorities', () => {
    const prio = new Map<string, number>();
    const vrids = new Map<string, string>();
    for (const n of nodes) {
      const cfg = cfgOf(n);
      const ha = cfg.ha;
      assert.ok(ha);
      const ka = kaOf(n);
      const global = ka.find((b) => b.name === 'global_defs');
      assert.ok(global);
      assert.equal(child(global, 'notify_fifo')?.args[0], ha.keepalived['notify-fifo'], `${n}: notify_fifo`);
      // keepalived 2.2 drops a notify_fifo parsed before script_user on a reload (test/deps/keepalived.test.ts).
      const order = global.children.map((c) => c.name);
      assert.ok(order.includes('script_user') && order.indexOf('script_user') < order.indexOf('notify_fifo'), `${n}: script_user before notify_fifo`);
      assert.equal(child(global, 'router_id')?.args[0], ha['node-name']);
      const instances = ka.filter((b) => b.name === 'vrrp_instance');
      const tracks = new Map(ka.filter((b) => b.name === 'track_file').map((b) => [b.args[0], child(b, 'file')?.args[0]]));
      assert.deepEqual(
        instances.map((i) => i.args[0]).sort(),
        Object.values(ha['service-sets'])
          .map((s) => s['vrrp-instance'])
          .sort(),
        `${n}: one vrrp_instance per set`,
      );
      const [peerName, peer] = Object.entries(ha.peers)[0] ?? [];
      assert.ok(peerName && peer);
      assert.ok(nodes.includes(peerName as (typeof nodes)[number]) && peerName !== n, `${n}: the peer is the other node`);
      const self = hostOf(ha.agent.listen);
      const peerIp = hostOf(new URL(peer['agent-url'] ?? '').host);
      assert.equal(new URL(peer['sync-target'] ?? '').hostname, peerIp, `${n}: sync-target and agent-url name the same peer`);
      for (const [set, s] of Object.entries(ha['service-sets'])) {
        const inst = instances.find((i) => i.args[0] === s['vrrp-instance']);
        assert.ok(inst);
        assert.equal(child(inst, 'unicast_src_ip')?.args[0], self, `${n} ${set}: unicast_src_ip is this node's agent address`);
        assert.equal(child(inst, 'unicast_peer')?.children[0]?.name, peerIp, `${n} ${set}: unicast_peer is the peer`);
        const vip = child(inst, 'virtual_ipaddress')?.children[0]?.name;
        assert.equal(vip?.replace(/\/\d+$/, ''), s.vip, `${n} ${set}: VIP`);
        const tf = child(inst, 'track_file')?.children[0]?.name;
        assert.equal(tracks.get(tf), join(cfg['state-dir'], 'track', set), `${n} ${set}: track_file is the agent's`);
        prio.set(`${n}/${set}`, Number(child(inst, 'priority')?.args[0]));
        const vrid = child(inst, 'virtual_router_id')?.args[0] ?? '';
        const other = vrids.get(set);
        if (other !== undefined) assert.equal(vrid, other, `${set}: same virtual_router_id on both nodes`);
        vrids.set(set, vrid);
      }
    }
    assert.equal(new Set(vrids.values()).size, vrids.size, 'each set has its own virtual_router_id');
    assert.ok((prio.get('node-a/app') ?? 0) > (prio.get('node-b/app') ?? 0), 'app prefers node-a');
    assert.ok((prio.get('node-b/batch') ?? 0) > (prio.get('node-a/batch') ?? 0), 'batch prefers node-b');
  });

  test("supervisord's [include] (read by supervisord's own parser) covers every registry and the listener", async () => {
    const { include: globs } = await readSupervisordConf(join(top, 'supervisor/supervisord.conf.example'));
    const matches = (file: string) => includeCovers(globs, file);
    for (const n of nodes) {
      const cfg = cfgOf(n);
      for (const [set, s] of Object.entries(cfg.ha?.['service-sets'] ?? {}))
        assert.ok(matches(join(s.registry, 'x.conf')), `${n}: include misses set ${set}'s registry ${s.registry}`);
      for (const d of cfg.supervisor['registry-dirs']) assert.ok(matches(join(d, 'x.conf')), `${n}: include misses registry-dir ${d}`);
    }
    assert.ok(globs.includes('/etc/supervisor/supha-listener.conf'));
  });

  test('rsyncd: comments on their own lines, and the module is where every set registry lives', () => {
    const text = readFileSync(join(top, 'conf/rsyncd.conf.example'), 'utf8');
    for (const line of text.split('\n')) {
      if (/^\s*[#;]/.test(line) || !line.includes('=')) continue;
      assert.doesNotMatch(line, /\s#/, `rsyncd takes a trailing comment as part of the value: ${line}`);
    }
    const path = /^\[supha-registry\][\s\S]*?^path = (\S+)$/m.exec(text)?.[1];
    for (const n of nodes) {
      const cfg = cfgOf(n);
      for (const [set, s] of Object.entries(cfg.ha?.['service-sets'] ?? {}))
        assert.equal(s.registry, join(path ?? '', set), `${n}: the replica of ${set} lands in its registry`);
      for (const p of Object.values(cfg.ha?.peers ?? {})) assert.match(p['sync-target'] ?? '', /\/supha-registry$/);
    }
  });
});
