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
  {
    command: 'nodes <action>',
    describe: 'blue/green nodes: check (one health round), start (the primary group), stop-standby',
    builder: (y) =>
      y
        .positional('action', { choices: ['check', 'start', 'stop-standby'], demandOption: true })
        .option('json', { type: 'boolean', describe: 'check: print JSON' }),
    run: async (a: Args, io) => (await import('./nodes.js')).nodesCommand(a as any, io),
  },
  {
    command: 'upstream <action>',
    describe: "render the primary group's Nginx upstream: test, install, reload, verify",
    builder: (y) =>
      y
        .positional('action', { choices: ['render'], demandOption: true })
        .option('force', { type: 'boolean', describe: 'render even with no healthy non-backup node' })
        .option('print', { type: 'boolean', describe: 'print the rendered block' }),
    run: async (a: Args, io) => (await import('./upstream.js')).upstreamCommand(a, io),
  },
  {
    command: 'switch',
    describe: 'blue/green switch: start standby, health gate, swap, reload, verify, stop the old group',
    builder: (y) =>
      y
        .option('upgrade', { type: 'boolean', describe: "run the standby group's upgrade-cmd first" })
        .option('keep-old', { type: 'boolean', describe: 'leave the old group running for a fast rollback' })
        .option('recover', { type: 'boolean', describe: 'only finish or roll back an interrupted switch' }),
    run: async (a: Args, io) => (await import('./switch.js')).switchCommand(a, io),
  },
  {
    command: 'rollback',
    describe: 'switch back to the group the last switch left',
    builder: (y) => y.option('keep-old', { type: 'boolean', describe: 'leave the group switched away from running' }),
    run: async (a: Args, io) => (await import('./switch.js')).switchCommand(a, io, true),
  },
];
