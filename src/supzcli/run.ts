import { type LiteConfig, liteOf, loadConfigLite } from '../config/lite.js';
import { EXIT, errorMessage, fsUserError, isUserError, UsageError } from '../errors.js';
import { clientFromConfig } from '../supervisor/from-config.js';
import { audit, type Outcome } from './audit.js';
import type { SupzIo } from './context.js';
import { checkRefused, Refused } from './refuse.js';
import { verbNamed } from './verbs/index.js';

// One supzcli session: the command line's, or the prompt's (which keeps the config loaded).
export interface Session {
  io: SupzIo;
  configPath?: string | undefined;
  cfg?: LiteConfig;
  // The whole config was validated (acting verbs need that; read-only ones read only their keys).
  validated?: boolean;
}

// Runs one command (verb and its words), prints what it has to say, appends it to the audit
// log, and returns its exit code. User errors print one line; bugs throw.
export async function runWords(words: readonly string[], s: Session, interrupt: AbortSignal): Promise<number> {
  const [verb = '', ...args] = words;
  let cfg: LiteConfig;
  try {
    s.cfg ??= await loadConfigLite(s.configPath, s.io.env);
    cfg = s.cfg;
  } catch (err) {
    if (!isUserError(err)) throw err;
    s.io.err(`supzcli: ${err.message}`);
    return err.exitCode;
  }
  let code: number;
  let outcome: Outcome = 'ok';
  let reason: string | undefined;
  try {
    checkRefused(verb, args, cfg.refuseVerbs, cfg.configPath);
    const entry = verbNamed(verb);
    if (!entry) throw new UsageError(`unknown verb "${verb}" (supzcli help lists them)`);
    if (entry.acts && !s.validated) {
      const { loadConfig } = await import('../config/load.js');
      s.cfg = cfg = liteOf(await loadConfig(cfg.configPath, s.io.env));
      s.validated = true;
    }
    const run = await entry.load();
    code = await run({ cfg, client: clientFromConfig(cfg), io: s.io, interrupt }, [...args]);
    // A read-only verb saying "not running" (exit 3) answered; it did not fail.
    if (code !== EXIT.OK && !(code === EXIT.NOT_RUNNING && !entry.acts)) outcome = 'error';
  } catch (caught) {
    // A file-system error on a named path (a read-only state dir, a full disk) is one line too.
    const err = isUserError(caught) ? caught : fsUserError(caught);
    if (!err) {
      await audit(cfg['state-dir'], { verb, names: args, outcome: 'error', exit: 70, reason: `bug: ${errorMessage(caught)}` }, s.io.env).catch(() => {});
      throw caught;
    }
    s.io.err(`supzcli: ${err.message}`);
    code = err.exitCode;
    outcome = err instanceof Refused ? 'refused' : 'error';
    reason = err.message;
  }
  try {
    await audit(cfg['state-dir'], { verb, names: args, outcome, exit: code, ...(reason ? { reason } : {}) }, s.io.env);
  } catch (err) {
    s.io.err(`supzcli: could not append to the audit log in ${cfg['state-dir']}: ${errorMessage(err)}`);
  }
  return code;
}
