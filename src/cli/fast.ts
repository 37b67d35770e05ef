import { askAgent } from '../agent/control-client.js';
import type { Role } from '../agent/module.js';
import { controlSocketPath } from '../agent/paths.js';
import { loadConfigFast } from '../config/lite.js';
import { isUserError } from '../errors.js';
import { parseNotifyArgs } from '../keepalived/parse.js';
import type { Io } from './io.js';

// keepalived runs `supha check SET` every few seconds and `supha notify ...` on each transition,
// so these two skip yargs and read the config through the loader's fast door (config/lite.ts: the
// schema's remembered verdict). Anything unusual, an invalid config, or no agent returns
// undefined: the full path then runs and reports properly.
export async function fastPath(argv: readonly string[], io: Io): Promise<number | undefined> {
  const words: string[] = [];
  let config: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--config') config = argv[++i];
    else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else if (a === '--json') json = true;
    else if (a.startsWith('-')) return undefined;
    else words.push(a);
  }
  const [cmd, ...rest] = words;
  // `supha status` is light by itself (no schema, no yargs); a user error goes the full way.
  if (cmd === 'status' && rest.length === 0) {
    const { statusCommand } = await import('./commands/status.js');
    return statusCommand({ config, json }, io).catch((err: unknown) => {
      if (isUserError(err)) return undefined;
      throw err;
    });
  }
  if (json) return undefined;
  // rsyncd runs `supha sync accept` before every transfer: a read goes through at once, a write
  // asks the agent (src/sync/accept.ts).
  if (cmd === 'sync' && rest.length === 1 && rest[0] === 'accept') return acceptFast(config, io);
  const isCheck = cmd === 'check' && rest.length === 1;
  const isNotify = cmd === 'notify' && (rest.length === 3 || rest.length === 4);
  if (!isCheck && !isNotify) return undefined;
  try {
    const cfg = await loadConfigFast(config, io.env);
    if (cfg.ha === undefined) return undefined;
    const socket = controlSocketPath(cfg);
    if (isNotify) {
      const r = parseNotifyArgs(rest[0] ?? '', rest[1] ?? '', rest[2] ?? '', rest[3]);
      if (!r.ok) return undefined;
      const res = await askAgent(socket, { op: 'notify', event: r.event, source: 'notify' }, 2_000);
      return res.ok ? 0 : undefined;
    }
    const res = await askAgent(socket, { op: 'check', set: rest[0] ?? '' }, 1_000);
    if (!res.ok) return undefined;
    io.out(`${rest[0]}: ${res.healthy ? 'ok' : 'unhealthy'}: ${String(res.why)}`);
    return res.healthy ? 0 : 1;
  } catch {
    return undefined;
  }
}

async function acceptFast(config: string | undefined, io: Io): Promise<number | undefined> {
  const { acceptTransfer, daemonTransfer } = await import('../sync/accept.js');
  const t = daemonTransfer(io.env);
  if ('error' in t) return undefined;
  if (!t.write) return 0;
  try {
    const cfg = await loadConfigFast(config, io.env);
    if (cfg.ha === undefined) return undefined;
    const roles = async () => {
      const res = await askAgent(controlSocketPath(cfg), { op: 'sync', action: 'status' }, 2_000);
      if (!res.ok) throw new Error(res.error);
      const sets = (res.sync as { sets: Record<string, { role?: string }> }).sets;
      return Object.fromEntries(Object.entries(sets).map(([s, v]) => [s, v.role])) as Record<string, Role | undefined>;
    };
    const received = async (sets: string[]) => {
      for (const set of sets) {
        const res = await askAgent(controlSocketPath(cfg), { op: 'sync', action: 'received', set }, 2_000);
        if (!res.ok) throw new Error(res.error);
      }
    };
    const r = await acceptTransfer(t, cfg.ha['service-sets'], roles, received);
    if (r.ok) return 0;
    io.out(`supha: ${r.why}`);
    return 1;
  } catch {
    return undefined;
  }
}
