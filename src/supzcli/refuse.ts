import { UsageError } from '../errors.js';

// A command supzcli will not run: one line saying why and what to do instead, exit 2, nothing done.
export class Refused extends UsageError {
  override name = 'Refused';
}

const HOST = 'every program on this host';

// Verbs refused whatever their arguments.
const VERBS: Record<string, string> = {
  shutdown: `shutdown stops supervisord and ${HOST}; stop programs by name (supzcli stop NAME)`,
  reload: `reload restarts supervisord and ${HOST}; apply conf changes with supzcli update`,
  remove: 'remove takes a group out of supervisord but leaves its conf in the registry; use supzcli stop NAME (stops, removes and parks the conf)',
  add: 'add bypasses the registry; put the conf in the registry and run supzcli update or supzcli start NAME',
  open: 'supzcli talks only to the supervisord of its config (supervisor.server-url); use --config',
  fg: 'fg attaches the terminal to a program; use supzcli tail -f NAME',
};

// Verbs refused when "all" is among their names (signal's first word is the signal).
const ALL: Record<string, string> = {
  stop: `stop all takes ${HOST} down and parks every conf; stop programs by name`,
  restart: `restart all bounces ${HOST} at once; restart programs by name`,
  start: `start all starts ${HOST}, including programs that belong on the other node; start programs by name`,
  signal: `signal all signals ${HOST}; name the programs`,
  clear: `clear all clears the logs of ${HOST}; name the programs`,
};

// Throws Refused when the command must not run. `extra` is the config's supzcli.refuse-verbs.
export function checkRefused(verb: string, args: readonly string[], extra: readonly string[], configPath: string): void {
  const why = VERBS[verb];
  if (why) throw new Refused(`refused: ${why}`);
  const names = verb === 'signal' ? args.slice(1) : args;
  const whyAll = ALL[verb];
  if (whyAll && names.includes('all')) throw new Refused(`refused: ${whyAll}`);
  if (extra.includes(verb)) throw new Refused(`refused: "${verb}" is refused on this host by supzcli.refuse-verbs in ${configPath}`);
}
