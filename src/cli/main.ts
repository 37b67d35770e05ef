import yargs from 'yargs';
import { ExitError, fsUserError, isUserError, UsageError } from '../errors.js';
import { commands } from './commands/index.js';
import type { Io } from './io.js';

// Runs one supha command and returns its exit code. Never exits the process: only the bin does.
export async function main(argv: string[], io: Io): Promise<number> {
  let code = 0;
  let parser = yargs(argv)
    .scriptName('supha')
    .usage('$0 <command> [options]')
    .option('config', { type: 'string', describe: 'config file (default: $SUPHA_CONFIG, then /etc/supha/config.json)' });
  for (const c of commands) {
    parser = parser.command(c.command, c.describe, c.builder ?? ((y) => y), async (args) => {
      code = await c.run(args as Record<string, unknown>, io);
    });
  }
  parser = parser
    .demandCommand(1, 'name a command (see supha --help)')
    .strict()
    .showHelpOnFail(false)
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    })
    .exitProcess(false);
  try {
    let helpText: string | undefined;
    await parser.parseAsync(argv, {}, (_err, _argv, output) => {
      if (output) helpText = output;
    });
    if (helpText) io.out(helpText);
    return code;
  } catch (err) {
    if (err instanceof ExitError) return err.exitCode;
    const user = isUserError(err) ? err : fsUserError(err);
    if (user) {
      io.err(`supha: ${user.message}`);
      return user.exitCode;
    }
    throw err;
  }
}
