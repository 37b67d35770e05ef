import { EXIT } from '../../errors.js';
import { isFault } from '../../supervisor/faults.js';
import type { Ctx } from '../context.js';

const HELP = [
  'maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)',
  'maintail -100\tlast 100 *bytes* of supervisord main log file',
  'maintail\tlast 1600 *bytes* of supervisor main log file',
  '',
];

// maintail [-f|-N]: supervisord's own log, as supervisorctl's do_maintail (its lines, its exits).
export async function maintail(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length > 1) {
    ctx.io.out('Error: too many arguments');
    for (const line of HELP) ctx.io.out(line);
    return EXIT.FAILED;
  }
  let bytes = 1600;
  const [arg] = args;
  if (arg !== undefined) {
    if (arg === '-f') {
      ctx.io.out('==> Press Ctrl-C to exit <==');
      await ctx.client.followMainLog((text) => ctx.io.write(text), ctx.interrupt);
      ctx.io.out('');
      return EXIT.OK;
    }
    bytes = /^-\d+$/.test(arg) ? Number(arg.slice(1)) : Number.NaN;
    if (!Number.isSafeInteger(bytes)) {
      ctx.io.out(`Error: bad argument ${arg}`);
      return EXIT.FAILED;
    }
  }
  try {
    ctx.io.out(await ctx.client.readLog(-bytes, 0));
    return EXIT.OK;
  } catch (err) {
    if (isFault(err, 'NO_FILE')) ctx.io.out('supervisord: ERROR (no log file)');
    else if (isFault(err, 'FAILED')) ctx.io.out('supervisord: ERROR (unknown error reading log)');
    else throw err;
    return EXIT.FAILED;
  }
}
