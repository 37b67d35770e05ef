import { EXIT, UsageError } from '../../errors.js';
import { isFault } from '../../supervisor/faults.js';
import type { Ctx } from '../context.js';

// pid: supervisord's PID, or each named process's (0 and exit 7 when not running, as supervisorctl).
export async function pid(ctx: Ctx, names: string[]): Promise<number> {
  if (names.length === 0) {
    ctx.io.out(String(await ctx.client.getPID()));
    return EXIT.OK;
  }
  if (names.includes('all')) {
    for (const info of await ctx.client.getAllProcessInfo()) ctx.io.out(String(info.pid));
    return EXIT.OK;
  }
  let code: number = EXIT.OK;
  for (const name of names) {
    try {
      const info = await ctx.client.getProcessInfo(name);
      ctx.io.out(String(info.pid));
      if (info.pid === 0) code = EXIT.DEAD;
    } catch (err) {
      if (!isFault(err, 'BAD_NAME')) throw err;
      ctx.io.out(`No such process ${name}`);
      code = EXIT.FAILED;
    }
  }
  return code;
}

// avail: supervisorctl's layout, one line per configured process.
export async function avail(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError('avail takes no arguments');
  for (const c of await ctx.client.getAllConfigInfo()) {
    const name = c.group === c.name ? c.name : `${c.group}:${c.name}`;
    ctx.io.out(
      `${name.padEnd(32)} ${(c.inuse ? 'in use' : 'avail').padEnd(9)} ${(c.autostart ? 'auto' : 'manual').padEnd(9)} ${c.group_prio}:${c.process_prio}`,
    );
  }
  return EXIT.OK;
}

export async function version(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError('version takes no arguments');
  ctx.io.out(await ctx.client.getSupervisorVersion());
  return EXIT.OK;
}
