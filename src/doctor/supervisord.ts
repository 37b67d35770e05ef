import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { scanRegistry } from '../registry/index.js';
import { includeCovers, readSupervisordConf, supervisordConfPath } from '../supervisor/conf-file.js';
import { clientFromConfig } from '../supervisor/from-config.js';
import { type Check, fail, ok, skip, warn } from './types.js';

// supervisord reachable; its own config (read by its own parser) including every registry and
// not serving XML-RPC on a network port without a password; the sets' confs all autostart=false.
export async function supervisordChecks(cfg: Config, confOverride?: string): Promise<Check[]> {
  const out: Check[] = [];
  const url = cfg.supervisor['server-url'];
  let pid: number | undefined;
  try {
    pid = await clientFromConfig(cfg).getPID();
    out.push(ok('supervisord', `${url} answers (pid ${pid})`));
  } catch (err) {
    out.push(fail('supervisord', `${url}: ${errorMessage(err)}`, 'start supervisord, or fix supervisor.server-url (and username/password)'));
  }
  const path = confOverride ?? (await supervisordConfPath(pid));
  if (path === undefined) {
    out.push(fail('supervisord.conf', 'not found (no -c on its command line, none in /etc)', 'pass --supervisord-conf PATH'));
  } else {
    try {
      const conf = await readSupervisordConf(path);
      const registries = [...Object.values(cfg.ha?.['service-sets'] ?? {}).map((s) => s.registry), ...cfg.supervisor['registry-dirs']];
      const missed = registries.filter((r) => !includeCovers(conf.include, join(r, 'x.conf')));
      if (missed.length > 0) {
        out.push(
          fail(
            'supervisord include',
            `${path}: [include] files does not cover ${missed.join(', ')}`,
            `add ${missed.map((r) => join(r, '*.conf')).join(' ')} to [include] files`,
          ),
        );
      } else {
        out.push(ok('supervisord include', `${path}: [include] covers ${registries.length} registr${registries.length === 1 ? 'y' : 'ies'}`));
      }
      if (conf.inet && conf.inet.username === undefined) {
        out.push(
          fail(
            'supervisord inet',
            `${path}: [inet_http_server] on ${conf.inet.port} has no username`,
            'set username and password (or use the unix socket only): anyone who reaches the port runs programs as root',
          ),
        );
      }
    } catch (err) {
      out.push(fail('supervisord.conf', `${path}: ${errorMessage(err)}`, 'fix the file (supervisord -c FILE -n says where)'));
    }
  }
  out.push(...(await autostartChecks(cfg)));
  return out;
}

async function autostartChecks(cfg: Config): Promise<Check[]> {
  const sets = Object.entries(cfg.ha?.['service-sets'] ?? {});
  if (sets.length === 0) return [skip('autostart', 'no service sets')];
  const out: Check[] = [];
  for (const [name, set] of sets) {
    try {
      const { entries, problems: all } = await scanRegistry([set.registry]);
      const ignored = all.filter((p) => p.ignored);
      if (ignored.length > 0)
        out.push(
          warn(
            `registry ${name}`,
            ignored.map((p) => `${p.path}: ${p.message}`).join('; '),
            'registry confs are *.conf only: rename the file, or move it out of the registry',
          ),
        );
      const problems = all.filter((p) => !p.ignored);
      if (problems.length > 0) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
      const bad = entries.filter((e) => e.autostart);
      if (bad.length > 0) {
        const files = [...new Set(bad.map((e) => e.file))];
        out.push(
          fail(
            `autostart ${name}`,
            `${bad.map((e) => e.name).join(', ')} without autostart=false`,
            `set autostart=false in ${files.join(', ')}: supervisord would start them on every node`,
          ),
        );
      } else {
        out.push(ok(`autostart ${name}`, `${entries.length} group${entries.length === 1 ? '' : 's'} in ${set.registry}, all autostart=false`));
      }
    } catch (err) {
      out.push(fail(`autostart ${name}`, `${set.registry}: ${errorMessage(err)}`, 'make the registry a readable folder of .conf files'));
    }
  }
  return out;
}
