import { ConfigError, loadConfig } from '../../config/index.js';
import { type Check, runDoctor } from '../../doctor/index.js';
import { EXIT } from '../../errors.js';
import type { Io } from '../io.js';

const LABEL = { ok: 'ok  ', fail: 'FAIL', warn: 'warn', skip: 'skip' } as const;

// One line per check, and how to fix each failure; exit 0 only when nothing failed.
export async function doctorCommand(
  args: { config?: string; json?: boolean; 'keepalived-conf'?: string; 'supervisord-conf'?: string },
  io: Io,
): Promise<number> {
  let checks: Check[];
  try {
    const cfg = await loadConfig(args.config, io.env);
    checks = [
      { name: 'config', verdict: 'ok', detail: `${cfg.configPath}: valid` },
      ...(await runDoctor(cfg, { keepalivedConf: args['keepalived-conf'], supervisordConf: args['supervisord-conf'] })),
    ];
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof Error && err.name === 'UsageError')) throw err;
    checks = [{ name: 'config', verdict: 'fail', detail: err.message, fix: 'run supha config check and fix every line it prints' }];
  }
  const failed = checks.filter((c) => c.verdict === 'fail').length;
  if (args.json) io.out(JSON.stringify({ ok: failed === 0, checks }));
  else {
    for (const c of checks) io.out(`${LABEL[c.verdict]}  ${c.name}: ${c.detail}${c.fix && c.verdict !== 'ok' ? ` -> fix: ${c.fix}` : ''}`);
    io.out(failed === 0 ? `doctor: ${checks.length} checks, none failed` : `doctor: ${failed} of ${checks.length} checks failed`);
  }
  return failed === 0 ? EXIT.OK : EXIT.FAILED;
}
