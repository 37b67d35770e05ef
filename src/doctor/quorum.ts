import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { minTtlMs, stopBudgetMs } from '../quorum/budget.js';
import { type EtcdClient, EtcdError, etcdFromConfig } from '../quorum/etcd.js';
import { parseOwner } from '../quorum/witness.js';
import { scanRegistry } from '../registry/index.js';
import { type Check, fail, ok, skip } from './types.js';

const FIREWALL = 'start etcd there (systemctl start etcd), check the URL in ha.quorum.endpoints and that 2379/tcp is open from this host';

// ha.quorum: each endpoint answers and has a leader; the prefix is readable; per set, the lease
// outlasts the stop of its programs, and who holds its key now with how much lease left.
export async function quorumChecks(cfg: Config): Promise<Check[]> {
  const q = cfg.ha?.quorum;
  if (!q) return [];
  const prefix = q.prefix ?? '/supha';
  const out: Check[] = [];
  let client: EtcdClient;
  try {
    client = etcdFromConfig(q);
  } catch (err) {
    return [fail('quorum', errorMessage(err), 'fix the file ha.quorum names (tls or auth), mode 0600 for the password')];
  }
  let answering = 0;
  for (const e of q.endpoints) {
    const name = `quorum endpoint ${e}`;
    try {
      const s = await etcdFromConfig({ ...q, endpoints: [e] }).status();
      if (s.leader === '0')
        out.push(fail(name, `etcd ${s.version} answers but has no leader`, 'a majority of the etcd members must be up: etcdctl endpoint status --cluster'));
      else if (s.errors.length > 0) out.push(fail(name, `etcd ${s.version}: ${s.errors.join('; ')}`, 'clear the alarm etcd names (etcdctl alarm list)'));
      else {
        answering++;
        out.push(ok(name, `etcd ${s.version}, healthy (leader ${s.leader})`));
      }
    } catch (err) {
      // etcd answered, with an error (a refused user or password, a certificate): not the network.
      if (err instanceof EtcdError && !err.unreachable)
        out.push(fail(name, `etcd answers: ${errorMessage(err)}`, 'check ha.quorum.auth (user, password-file) and ha.quorum.tls against etcd'));
      else out.push(fail(name, errorMessage(err), FIREWALL));
    }
  }
  if (answering === 0) {
    out.push(skip('quorum prefix', 'no etcd endpoint answers'));
  } else {
    try {
      out.push(ok('quorum prefix', `${prefix}/: readable (${await client.count(prefix)} keys)`));
    } catch (err) {
      out.push(
        fail(
          'quorum prefix',
          `${prefix}/: ${errorMessage(err)}`,
          `give ha.quorum.auth.user a role with readwrite on ${prefix}/ (etcdctl role grant-permission --prefix)`,
        ),
      );
    }
  }
  for (const [set, s] of Object.entries(cfg.ha?.['service-sets'] ?? {})) {
    const budget = stopBudgetMs((await scanRegistry([s.registry])).entries);
    const min = minTtlMs(budget.ms);
    const ttl = q['lease-ttl-ms'];
    if (ttl < min)
      out.push(
        fail(
          `quorum lease ${set}`,
          `lease-ttl-ms ${ttl} is too short: the programs may take ${budget.ms} ms to stop (${budget.worst}), so the lease must be at least ${min}`,
          `set ha.quorum.lease-ttl-ms to ${min} or more, or lower the programs' stopwaitsecs`,
        ),
      );
    else out.push(ok(`quorum lease ${set}`, `lease-ttl-ms ${ttl} fits a stop of ${budget.ms} ms (at least ${min})`));
    if (answering > 0) out.push(await holderCheck(client, set, `${prefix}/sets/${set}/owner`));
  }
  return out;
}

async function holderCheck(client: EtcdClient, set: string, key: string): Promise<Check> {
  const name = `quorum holder ${set}`;
  try {
    const kv = await client.get(key);
    if (!kv) return ok(name, `${key}: free (no node runs the set)`);
    const owner = parseOwner(kv.value);
    const left = await client.timeToLive(kv.lease);
    return ok(name, `${owner?.node ?? kv.value} since ${owner?.since || '?'}, lease ${left < 0 ? 'expired' : `${left} s`} left`);
  } catch (err) {
    return fail(name, `${key}: ${errorMessage(err)}`, 'see the quorum prefix line');
  }
}
