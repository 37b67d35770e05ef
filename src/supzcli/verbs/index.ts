import type { Ctx } from '../context.js';
// status is the hot path: loaded with the table, in one static graph (each dynamic import is one
// more round of module loading at start-up).
import { status } from './status.js';

export type VerbRun = (ctx: Ctx, args: string[]) => Promise<number>;

// One entry per verb. `acts`: changes supervisord or the registry (audited before and after, under
// the registries' lock: run.ts); the others only read. Modules load only when their verb runs.
export interface VerbEntry {
  name: string;
  acts: boolean;
  help: string[];
  load: () => Promise<VerbRun>;
}

export const VERBS: VerbEntry[] = [
  {
    name: 'status',
    acts: false,
    help: [
      'status\t\t\tGet all process status info',
      'status <name> <name>\tGet status for named processes',
      'status <gname>:*\tGet status for all processes in a group',
    ],
    load: async () => status,
  },
  {
    name: 'start',
    acts: true,
    help: [
      'start <name> [...]\tStart processes; a parked conf is moved back into the registry and loaded first',
      "start --force <name>\tA service set's program starts only where the agent says this node is MASTER; --force starts it when no agent answers",
      'start <gname>:*\t\tStart all processes in a group',
    ],
    load: async () => (await import('./start.js')).start,
  },
  {
    name: 'stop',
    acts: true,
    help: [
      'stop <name> [...]\tStop, remove from supervisord, and park the conf under <state-dir>/parked/<registry>/',
      'stop <gname>:*\t\tThe same for a whole group',
      "stop --force <name>\tA service set's program only where the agent says this node is MASTER; --force when no agent answers",
    ],
    load: async () => (await import('./stop.js')).stop,
  },
  {
    name: 'restart',
    acts: true,
    help: ["restart [--force] <name> [...]\tStop then start (the registry is left alone); a service set's program only on its MASTER, as start"],
    load: async () => (await import('./control.js')).restart,
  },
  {
    name: 'signal',
    acts: true,
    help: ['signal <signal> <name> [...]\tSend a signal (HUP, USR1, ...) to processes'],
    load: async () => (await import('./control.js')).signal,
  },
  {
    name: 'clear',
    acts: true,
    help: ["clear <name> [...]\tClear processes' log files"],
    load: async () => (await import('./control.js')).clear,
  },
  {
    name: 'tail',
    acts: false,
    help: ['tail [-f|-<bytes>] <name> [stdout|stderr]\tThe end of a process log (default: 1600 bytes of stdout); -f follows it, Ctrl-C stops'],
    load: async () => (await import('./tail.js')).tail,
  },
  {
    name: 'maintail',
    acts: false,
    help: [
      "maintail -f\tContinuous tail of supervisord's main log (Ctrl-C to exit)",
      "maintail -<bytes>\tThe last bytes of supervisord's main log",
      'maintail\t\tIts last 1600 bytes',
    ],
    load: async () => (await import('./maintail.js')).maintail,
  },
  {
    name: 'pid',
    acts: false,
    help: ['pid\t\t\tThe PID of supervisord', 'pid <name> [...]\tThe PID of processes (0 and exit 7: not running)', 'pid all\t\t\tThe PID of every process'],
    load: async () => (await import('./info.js')).pid,
  },
  {
    name: 'update',
    acts: true,
    help: [
      'update [--force]\tLoad the registry into supervisord: add new groups, remove gone ones, restart changed ones',
      "update <gname> [...]\tOnly those groups; a service set's groups only on its MASTER (--force: when no agent answers)",
    ],
    load: async () => (await import('./update.js')).update,
  },
  {
    name: 'reread',
    acts: false,
    help: ["reread\t\t\tShow what update would change (supervisord's configuration diff)"],
    load: async () => (await import('./update.js')).reread,
  },
  {
    name: 'avail',
    acts: false,
    help: ['avail\t\t\tEvery configured process, in use or not'],
    load: async () => (await import('./info.js')).avail,
  },
  {
    name: 'version',
    acts: false,
    help: ["version\t\t\tsupervisord's version"],
    load: async () => (await import('./info.js')).version,
  },
  {
    name: 'role',
    acts: false,
    help: [
      "role [--force] [--for VERB] DIR\tMay programs of registry folder DIR start (or be stopped, updated) here? Exit 0: DIR is no service set's registry, or the agent says this node is its MASTER; 2: refused",
    ],
    load: async () => (await import('./role.js')).role,
  },
  {
    name: 'help',
    acts: false,
    help: ['help\t\t\tThe verbs', 'help <verb>\t\tHelp on one verb'],
    load: async () => {
      const { help } = await import('./help.js');
      return (ctx, args) => help(ctx, args, VERBS);
    },
  },
];

export function verbNamed(name: string): VerbEntry | undefined {
  return VERBS.find((v) => v.name === name);
}
