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
    command: 'doctor',
    describe: "check this node's whole setup, one line per check with how to fix each failure",
    builder: (y) =>
      y
        .option('json', { type: 'boolean', describe: 'print JSON' })
        .option('keepalived-conf', {
          type: 'string',
          describe: "keepalived's config (default: the running keepalived's, else /etc/keepalived/keepalived.conf)",
        })
        .option('supervisord-conf', { type: 'string', describe: "supervisord's config (default: the running supervisord's -c)" }),
    run: async (a: Args, io) => (await import('./doctor.js')).doctorCommand(a, io),
  },
  {
    command: 'agent',
    describe: 'run the HA agent (keepalived events -> supervisord), until SIGTERM',
    builder: (y) => y.option('log-file', { type: 'string', describe: 'log JSON here instead of stderr' }),
    run: async (a: Args, io) => (await import('./agent.js')).agentCommand(a, io),
  },
  {
    command: 'notify <type> <name> <state> [priority]',
    describe: "hand a keepalived notify event to the agent (keepalived's notify script arguments)",
    builder: (y) =>
      y
        .positional('type', { type: 'string' })
        .positional('name', { type: 'string' })
        .positional('state', { type: 'string' })
        .positional('priority', { type: 'string' }),
    run: async (a: Args, io) => (await import('./agent-client.js')).notifyCommand(a as any, io),
  },
  {
    command: 'hold',
    describe: 'hold a set (or all): the agent logs transitions but does not act on them',
    builder: (y) =>
      y.option('set', { type: 'string', describe: 'the service set (default: all)' }).option('reason', { type: 'string', demandOption: true, describe: 'why' }),
    run: async (a: Args, io) => (await import('./agent-client.js')).holdCommand(a as any, io),
  },
  {
    command: 'release',
    describe: 'release a hold (or all holds)',
    builder: (y) => y.option('set', { type: 'string', describe: 'the service set (default: every hold)' }),
    run: async (a: Args, io) => (await import('./agent-client.js')).releaseCommand(a, io),
  },
  {
    command: 'check <set>',
    describe: 'keepalived vrrp_script: exit 0 if not MASTER of SET or all its programs RUNNING, else 1',
    builder: (y) => y.positional('set', { type: 'string', demandOption: true }),
    run: async (a: Args, io) => (await import('./check.js')).checkCommand(a as any, io),
  },
  {
    command: 'listen',
    describe: 'supervisord [eventlistener:supha]: forward process events to the agent',
    builder: (y) => y.option('log-file', { type: 'string', describe: 'log here instead of stderr' }),
    run: async (a: Args, io) => (await import('./listen.js')).listenCommand(a, io),
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
        .option('upgrade', { type: 'string', describe: "run the standby group's upgrade-cmd first; a VERSION given is its last argument" })
        .option('to', { type: 'string', describe: 'the group that must end primary: already primary = nothing to do' })
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
  {
    command: 'sync <action> [name] [files..]',
    describe:
      'registry replication: status, pause, resume; diff SET, adopt SET --from NODE|--local, history SET, restore SET FILE...; accept (rsyncd pre-xfer exec)',
    builder: (y) =>
      y
        .positional('action', { choices: ['status', 'pause', 'resume', 'diff', 'adopt', 'history', 'restore', 'accept'], demandOption: true })
        .positional('name', { type: 'string', describe: 'the service set (diff, adopt, history, restore)' })
        .positional('files', { type: 'string', array: true, describe: 'kept files to restore (<stamp>/<file> or <file>)' })
        .option('set', { type: 'string', describe: 'pause or resume one service set (default: all)' })
        .option('from', { type: 'string', describe: "adopt: take this peer's copy and generation" })
        .option('local', { type: 'boolean', describe: 'adopt: this registry as it is wins' })
        .option('peer', { type: 'string', describe: 'diff: only this peer' })
        .option('rrsync', { type: 'string', describe: 'accept: the ssh forced command; run rrsync confined to this folder once accepted' })
        .option('json', { type: 'boolean', describe: 'print JSON' }),
    run: async (a: Args, io) => (await import('./sync.js')).syncCommand(a as any, io),
  },
];
