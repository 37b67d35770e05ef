import { type Logger, pino } from 'pino';

export type { Logger };

// Keys whose values never reach a log.
const REDACT = ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'];

// The one pino root. Daemons log JSON to stderr (or a file); what the CLI prints for a person
// goes to stdout separately.
export function createLogger(opts: { level?: string; destination?: string } = {}): Logger {
  const dest = opts.destination ? pino.destination({ dest: opts.destination, mkdir: true, sync: false }) : pino.destination(2);
  return pino({ level: opts.level ?? process.env.SUPHA_LOG_LEVEL ?? 'info', redact: { paths: REDACT, censor: '[redacted]' } }, dest);
}

export const silentLogger: Logger = pino({ level: 'silent' });
