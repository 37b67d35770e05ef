import { ConfigError, loadConfig } from '../../config/index.js';
import { secretProblems } from '../../config/secrets.js';
import { EXIT } from '../../errors.js';
import { nginxTarget } from '../../nginx/index.js';
import { quorumProblems } from '../../quorum/check.js';
import type { Io } from '../io.js';

// Prints a short summary, or every problem as `path: message` and exits 2.
export async function configCheckCommand(args: { config?: string | undefined }, io: Io): Promise<number> {
  try {
    const cfg = await loadConfig(args.config, io.env);
    const secrets = [...(await secretProblems(cfg)), ...(await quorumProblems(cfg))];
    if (secrets.length > 0) throw new ConfigError(cfg.configPath, secrets);
    io.out(`${cfg.configPath}: ok`);
    io.out(`  project ${cfg['project-name']}, state-dir ${cfg['state-dir']}, runtime-dir ${cfg['runtime-dir']}`);
    io.out(`  supervisord ${cfg.supervisor['server-url']}, registry ${cfg.supervisor['registry-dirs'].join(', ')}`);
    if (cfg.nginx) {
      const groups = Object.entries(cfg.nginx.upstream['node-group']).map(([name, g]) => `${name} (${g['default-group']}: ${Object.keys(g.nodes).join(', ')})`);
      io.out(`  nginx upstream ${cfg.nginx.upstream['upstream-name']} -> ${cfg.nginx['upstream-conf-path']}: ${groups.join('; ')}`);
      const t = nginxTarget(cfg);
      if (t.missing !== undefined) {
        io.err(`nginx: ${t.missing}`);
        return EXIT.USAGE;
      }
      io.out(`  nginx test: ${t.testCmd}; reload: ${t.reloadCmd}`);
    }
    if (cfg.ha) {
      const sets = Object.entries(cfg.ha['service-sets']).map(([name, s]) => `${name} (${s['vrrp-instance']})`);
      io.out(`  ha node ${cfg.ha['node-name'] ?? '(unnamed)'}: sets ${sets.join(', ') || 'none'}; peers ${Object.keys(cfg.ha.peers).join(', ') || 'none'}`);
      const q = cfg.ha.quorum;
      if (q) io.out(`  quorum etcd ${q.endpoints.join(', ')}: keys under ${q.prefix}/sets/, lease ${q['lease-ttl-ms']} ms, policy ${q.policy}`);
    }
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`${err.configPath}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
    for (const p of err.problems) io.err(`${p.path}: ${p.message}`);
    return EXIT.USAGE;
  }
}
