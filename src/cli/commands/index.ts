import type { Argv } from 'yargs';
import type { Io } from '../io.js';

// One entry per command. Builders are tiny and load nothing; the handler module is imported
// only when its command runs, so `--help` and hot paths stay fast.
export interface CommandEntry {
  command: string;
  describe: string;
  builder?: (y: Argv) => Argv;
  run: (args: Record<string, unknown>, io: Io) => Promise<number>;
}

type Args = Record<string, any>;

export const commands: CommandEntry[] = [
  {
    command: 'status',
    describe: 'list supervisord programs like supervisorctl status',
    builder: (y) => y.option('json', { type: 'boolean', describe: 'print JSON' }),
    run: async (a: Args, io) => (await import('./status.js')).statusCommand(a, io),
  },
  {
    command: 'config <action>',
    describe: 'check the config file (supha config check)',
    builder: (y) => y.positional('action', { choices: ['check'], demandOption: true }),
    run: async (a: Args, io) => (await import('./config-check.js')).configCheckCommand(a, io),
  },
];
