import { type LiteConfig, liteOf, loadConfigFast } from '../config/lite.js';
import { EXIT, errorMessage, fsUserError, isUserError, UsageError, UserError } from '../errors.js';
import { clientFromConfig } from '../supervisor/from-config.js';
import { type AuditRecord, audit, type Outcome } from './audit.js';
import type { Ctx, SupzIo } from './context.js';
import { checkRefused, Refused } from './refuse.js';
import { unreachable } from './results.js';
import { verbNamed } from './verbs/index.js';

// One supzcli session: the command line's, or the prompt's (which keeps the config loaded).
export interface Session {
  io: SupzIo;
  configPath?: string | undefined;
  cfg?: LiteConfig;
}

type Rec = Omit<AuditRecord, 'time' | 'run' | 'user' | 'uid' | 'sudoUser' | 'sudoUid'>;

// Runs one command (verb and its words), prints what it has to say, and returns its exit code.
// A verb that acts writes an audit line before it does anything (not written: nothing done),
// takes the lock of every registry (two supzcli never act at once), and writes its outcome after;
// a read-only verb writes one line when done. User errors print one line; bugs throw.
export async function runWords(words: readonly string[], s: Session, interrupt: AbortSignal): Promise<number> {
  const [verb = '', ...args] = words;
  let cfg: LiteConfig;
  try {
    s.cfg ??= liteOf(await loadConfigFast(s.configPath, s.io.env));
    cfg = s.cfg;
  } catch (err) {
    if (!isUserError(err)) throw err;
    s.io.err(`supzcli: ${err.message}`);
    return err.exitCode;
  }
  const record = (rec: Rec) => audit(cfg['state-dir'], rec, s.io.env);
  let code: number;
  let outcome: Outcome = 'ok';
  let reason: string | undefined;
  let began = false;
  const ctx: Partial<Ctx> = {};
  try {
    checkRefused(verb, args, cfg.refuseVerbs, cfg.configPath);
    const entry = verbNamed(verb);
    if (!entry) throw new UsageError(`unknown verb "${verb}" (supzcli help lists them)`);
    const run = await entry.load();
    Object.assign(ctx, { cfg, client: clientFromConfig(cfg), io: s.io, interrupt } satisfies Ctx);
    if (entry.acts) {
      try {
        record({ verb, names: args, outcome: 'begin' });
      } catch (err) {
        throw new UserError(`cannot append to the audit log in ${cfg['state-dir']} (${errorMessage(err)}); nothing done`, undefined, { cause: err });
      }
      began = true;
      const { lockRegistries } = await import('./lock.js');
      const release = await lockRegistries(ctx as Ctx);
      try {
        code = await run(ctx as Ctx, [...args]);
      } finally {
        await release();
      }
    } else code = await run(ctx as Ctx, [...args]);
    // A read-only verb saying "not running" (exit 3, pid's 7) answered; it did not fail.
    if (code !== EXIT.OK && !((code === EXIT.NOT_RUNNING || code === EXIT.DEAD) && !entry.acts)) outcome = 'error';
  } catch (caught) {
    // supervisord not there: supervisorctl's line, on stdout, and its exit code.
    const down = unreachable(caught);
    if (down) {
      s.io.out(down.line);
      code = down.code;
      outcome = 'error';
      reason = errorMessage(caught);
    } else {
      // A file-system error on a named path (a read-only state dir, a full disk) is one line too.
      const err = isUserError(caught) ? caught : fsUserError(caught);
      if (!err) {
        try {
          record({ verb, names: args, outcome: 'error', exit: 70, reason: `bug: ${errorMessage(caught)}` });
        } catch {}
        throw caught;
      }
      s.io.err(`supzcli: ${err.message}`);
      code = err.exitCode;
      outcome = err instanceof Refused ? 'refused' : 'error';
      reason = err.message;
    }
  }
  try {
    record({ verb, names: args, outcome, exit: code, ...(reason ? { reason } : {}), ...(ctx.forced ? { force: true } : {}) });
  } catch (err) {
    s.io.err(`supzcli: could not append to the audit log in ${cfg['state-dir']}: ${errorMessage(err)}${began ? ' (its begin line is there)' : ''}`);
  }
  return code;
}
