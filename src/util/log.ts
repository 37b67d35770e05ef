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

// The one pino root. Daemons log JSON to stderr (or a file); what the CLI prints for a person
// goes to stdout separately. A log file that cannot be opened is a one-line user error now, not
// a stack from a stream later.
export function createLogger(opts: { level?: string; destination?: string | undefined } = {}): Logger {
  const level = opts.level ?? process.env.SUPHA_LOG_LEVEL ?? 'info';
  if (!opts.destination) return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(2));
  const file = opts.destination;
  try {
    mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, 'a'));
  } catch (err) {
    throw new UserError(`log file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, undefined, { cause: err });
  }
  const dest = pino.destination({ dest: file, sync: false });
  dest.on('error', (err: Error) => process.stderr.write(`supha: log file ${file}: ${err.message}\n`));
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, dest);
}

export const silentLogger: Logger = pino({ level: 'silent' });
