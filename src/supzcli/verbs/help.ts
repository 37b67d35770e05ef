import { EXIT, UsageError } from '../../errors.js';
import type { Ctx } from '../context.js';

// help: the verbs, or one verb's lines. `verbs` is the table of verbs/index.ts.
export async function help(ctx: Ctx, args: string[], verbs: readonly { name: string; help: string[] }[]): Promise<number> {
  const [topic] = args;
  if (topic !== undefined) {
    const v = verbs.find((x) => x.name === topic);
    if (!v) throw new UsageError(`no help on "${topic}": not a supzcli verb (see supzcli help)`);
    for (const line of v.help) ctx.io.out(line);
    return EXIT.OK;
  }
  ctx.io.out('supzcli: supervisorctl for hosts whose registry says what runs (docs/supzcli.md)');
  ctx.io.out('');
  ctx.io.out(`verbs: ${verbs.map((v) => v.name).join(' ')}`);
  ctx.io.out('refused: shutdown, reload, add, remove, open, fg, and stop/start/restart/signal/clear all');
  ctx.io.out('type "help <verb>" for one verb; with no verb, supzcli opens a prompt (exit or quit to leave)');
  return EXIT.OK;
}
