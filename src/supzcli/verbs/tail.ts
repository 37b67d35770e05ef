import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, UsageError } from '../../errors.js';
import { isFault } from '../../supervisor/faults.js';
import type { Ctx } from '../context.js';

// tail [-f|-N] NAME [stdout|stderr], as supervisorctl: the last 1600 bytes, or follow until Ctrl-C.
export async function tail(ctx: Ctx, args: string[]): Promise<number> {
  const words = [...args];
  if (words.length < 1) throw new UsageError('tail needs a process name: tail [-f|-<bytes>] <name> [stdout|stderr]');
  if (words.length > 3) throw new UsageError('tail takes at most 3 arguments: tail [-f|-<bytes>] <name> [stdout|stderr]');
  const modifier = words[0]?.startsWith('-') ? words.shift() : undefined;
  const [name, chan = 'stdout'] = words;
  if (name === undefined) throw new UsageError('tail needs a process name');
  const channel = chan.toLowerCase();
  if (channel !== 'stdout' && channel !== 'stderr') throw new UsageError(`tail: bad channel "${chan}" (stdout or stderr)`);
  let bytes = 1600;
  const follow = modifier === '-f';
  if (modifier !== undefined && !follow) {
    bytes = Number(modifier.slice(1));
    if (!Number.isInteger(bytes) || bytes <= 0) throw new UsageError(`tail: bad argument ${modifier} (-f or -<bytes>)`);
  }
  try {
    if (follow) return await followLog(ctx, name, channel);
    const read = channel === 'stdout' ? ctx.client.readProcessStdoutLog : ctx.client.readProcessStderrLog;
    ctx.io.out(await read.call(ctx.client, name, -bytes, 0));
    return EXIT.OK;
  } catch (err) {
    if (isFault(err, 'BAD_NAME')) ctx.io.out(`${name}: ERROR (no such process name)`);
    else if (isFault(err, 'NO_FILE')) ctx.io.out(`${name}: ERROR (no log file)`);
    else throw err;
    return EXIT.FAILED;
  }
}

// Polls tailProcess*Log from the current end; supervisord keeps the offset arithmetic.
async function followLog(ctx: Ctx, name: string, channel: 'stdout' | 'stderr'): Promise<number> {
  ctx.io.out('==> Press Ctrl-C to exit <==');
  let { bytes, offset } = await ctx.client.tailProcessLog(name, channel, 0, 1600);
  ctx.io.write(bytes);
  while (!ctx.interrupt.aborted) {
    try {
      await sleep(300, undefined, { signal: ctx.interrupt });
    } catch {
      break;
    }
    const next = await ctx.client.tailProcessLog(name, channel, offset, 65_536);
    if (next.bytes) ctx.io.write(next.bytes);
    offset = next.offset;
  }
  ctx.io.out('');
  return EXIT.OK;
}
