import { UsageError } from '../errors.js';
import type { SupzIo } from './context.js';
import { runWords, type Session } from './run.js';

const USAGE = 'usage: supzcli [--config PATH] [verb [args…]]   (no verb: a prompt; supzcli help: the verbs)';

// supzcli's command line: options first (as supervisorctl), then the verb and its words, which
// are passed on untouched (so `tail -f NAME` works). Returns the exit code; never exits.
export async function main(argv: readonly string[], io: SupzIo): Promise<number> {
  const s: Session = { io };
  let i = 0;
  try {
    for (; i < argv.length; i++) {
      const a = argv[i] ?? '';
      if (a === '--config') {
        s.configPath = argv[++i];
        if (s.configPath === undefined) throw new UsageError('--config needs a path');
      } else if (a.startsWith('--config=')) s.configPath = a.slice('--config='.length);
      else if (a === '-h' || a === '--help') {
        io.out(USAGE);
        return 0;
      } else if (a === '-c' || a.startsWith('--configuration')) {
        throw new UsageError("supzcli reads supha's config (--config PATH or SUPHA_CONFIG), not supervisord.conf: drop -c");
      } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a} (${USAGE})`);
      else break;
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`supzcli: ${err.message}`);
    return err.exitCode;
  }
  const words = argv.slice(i);
  if (words.length === 0) return (await import('./interactive.js')).interactive(s);
  // Ctrl-C ends `tail -f` and `maintail -f` cleanly (exit 0, as supervisorctl); any other verb dies of it as usual.
  const ac = new AbortController();
  const onInt = () => ac.abort();
  if (words[0] === 'tail' || words[0] === 'maintail') process.once('SIGINT', onInt);
  try {
    return await runWords(words, s, ac.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
}
