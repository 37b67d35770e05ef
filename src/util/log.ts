import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Logger, pino } from 'pino';
import { UserError } from '../errors.js';

export type { Logger };

// Keys whose values never reach a log (basic_auth.pass is how the xmlrpc client holds it).
const REDACT = [
  'password',
  '*.password',
  'pass',
  '*.pass',
  'basic_auth',
  '*.basic_auth',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

// The one pino root. Daemons log JSON to stderr (journald takes it under systemd; `supha listen`'s
// stdout is supervisord's protocol) or to a file; what the CLI prints for a person goes to stdout
// separately. A log file that cannot be opened is a one-line user error now, not a stack from a
// stream later. `reopenOnHup` (the daemons): SIGHUP reopens the file (logrotate's `postrotate`
// or `copytruncate`-free rotation: rename, then HUP), and never ends the process.
export function createLogger(opts: { level?: string; destination?: string | undefined; reopenOnHup?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.SUPHA_LOG_LEVEL ?? 'info';
  if (!opts.destination) {
    const log = pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(2));
    if (opts.reopenOnHup) onHup(() => log.info('SIGHUP: logging to stderr, no file to reopen'));
    return log;
  }
  const file = opts.destination;
  try {
    mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, 'a'));
  } catch (err) {
    throw new UserError(`log file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, undefined, { cause: err });
  }
  // Synchronous writes: with async ones, a SIGHUP while a write was in flight let SonicBoom 4.2
  // write lines of the new file before older ones still held (seen once in a CI run of the reopen
  // test: 230-234 before 225-229). The agent logs a few lines a second; order matters more.
  const dest = pino.destination({ dest: file, sync: true });
  dest.on('error', (err: Error) => process.stderr.write(`supha: log file ${file}: ${err.message}\n`));
  const log = pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, dest);
  if (opts.reopenOnHup)
    onHup(() => {
      // Every line is already written (sync): the next one goes to a new file at the path.
      dest.reopen();
      log.info({ file }, 'SIGHUP: log file reopened');
    });
  return log;
}

let hupHandler: (() => void) | undefined;
function onHup(fn: () => void): void {
  if (hupHandler) process.off('SIGHUP', hupHandler);
  hupHandler = fn;
  process.on('SIGHUP', fn);
}

export const silentLogger: Logger = pino({ level: 'silent' });
