import { EXIT } from '../../errors.js';
import { SupervisorUnreachable } from '../../supervisor/faults.js';
import { formatStatusLines } from '../../supervisor/format.js';
import type { ProcessInfo } from '../../supervisor/types.js';
import type { Ctx } from '../context.js';
import { splitNamespec } from '../names.js';
import { unreachable } from '../results.js';

// supervisorctl's STOPPED_STATES: a listed process in one of them makes status exit 3.
const STOPPED = new Set(['STOPPED', 'EXITED', 'FATAL', 'UNKNOWN']);

// `supervisorctl status` exactly (do_status in supervisorctl.py 4.x): unknown names print
// "ERROR (no such process|group)" lines first and exit 4; a listed process that is not running
// exits 3; supervisord unreachable exits 4.
export async function status(ctx: Ctx, names: string[]): Promise<number> {
  let infos: ProcessInfo[];
  try {
    infos = await ctx.client.getAllProcessInfo();
  } catch (err) {
    if (!(err instanceof SupervisorUnreachable)) throw err;
    // supervisorctl's line on stdout where it has one (no socket file, refused); exit 4 either way.
    const known = unreachable(err);
    if (known) ctx.io.out(known.line);
    else ctx.io.err(`supzcli: ${err.message}`);
    return EXIT.UNKNOWN;
  }
  let code: number = EXIT.OK;
  let matching = infos;
  if (names.length > 0 && !names.includes('all')) {
    matching = [];
    for (const name of names) {
      const { group, process } = splitNamespec(name);
      const hits = infos.filter((i) => i.group === group && (process === undefined || i.name === process));
      if (hits.length === 0) {
        ctx.io.out(process === undefined ? `${group}: ERROR (no such group)` : `${name}: ERROR (no such process)`);
        code = EXIT.UNKNOWN;
      }
      matching.push(...hits);
    }
  }
  for (const line of formatStatusLines(matching)) ctx.io.out(line);
  if (matching.some((i) => STOPPED.has(i.statename))) code = EXIT.NOT_RUNNING;
  return code;
}
