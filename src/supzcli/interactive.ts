import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { liteOf, loadConfigFast } from '../config/lite.js';
import { errorMessage, isUserError } from '../errors.js';
import { clientFromConfig } from '../supervisor/from-config.js';
import type { ProcessInfo } from '../supervisor/types.js';
import { completions } from './complete.js';
import { runWords, type Session } from './run.js';
import { VERBS } from './verbs/index.js';

const PROMPT = 'supzcli> ';

// The prompt supzcli opens with no verb, as supervisorctl's: shows status first, then reads
// commands (same verbs, same refusals, each audited) until exit, quit or EOF. On a terminal it
// keeps a history in ~/.supzcli_history and completes verbs and program names on Tab. Ctrl-C
// stops a running tail -f, or leaves the prompt.
export async function interactive(s: Session): Promise<number> {
  // The whole config is checked once, up front: a broken one ends the session with one line.
  try {
    s.cfg = liteOf(await loadConfigFast(s.configPath, s.io.env));
  } catch (err) {
    if (!isUserError(err)) throw err;
    s.io.err(`supzcli: ${err.message}`);
    return err.exitCode;
  }
  const tty = process.stdin.isTTY === true;
  const historyFile = s.io.env.HOME ? join(s.io.env.HOME, '.supzcli_history') : undefined;
  let history: string[] = tty && historyFile ? await loadHistory(historyFile) : [];
  // Completion asks supervisord once per command line, however often Tab is hit (supervisorctl's cache).
  let cached: Promise<ProcessInfo[]> | undefined;
  const infos = () => {
    cached ??= s.cfg ? clientFromConfig(s.cfg).getAllProcessInfo() : Promise.resolve([]);
    return cached;
  };
  const verbs = [...VERBS.map((v) => v.name), 'exit', 'quit'];
  const completer = (line: string, cb: (err: null, result: [string[], string]) => void) => {
    void Promise.resolve(completions(line, verbs, infos)).then((r) => cb(null, r));
  };
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: PROMPT, terminal: tty, history, historySize: 500, completer });
  rl.on('history', (h: string[]) => {
    history = h;
  });
  let running: AbortController | undefined;
  const interrupt = () => {
    if (running) running.abort();
    else rl.close();
  };
  rl.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  const closed = new Promise<void>((resolve) => rl.once('close', () => resolve()));

  const runLine = async (line: string) => {
    cached = undefined;
    running = new AbortController();
    try {
      await runWords(line.trim().split(/\s+/), s, running.signal);
    } catch (err) {
      s.io.err(`supzcli: internal error (a bug, please report it): ${err instanceof Error ? (err.stack ?? errorMessage(err)) : String(err)}`);
    } finally {
      running = undefined;
    }
  };

  // NOTE: the iterator must exist before the first await, or piped lines that arrive meanwhile are
  // lost (https://nodejs.org/api/readline.html#rlsymbolasynciterator).
  const lines = rl[Symbol.asyncIterator]();
  await runLine('status');
  rl.prompt();
  let quit = false;
  for await (const line of { [Symbol.asyncIterator]: () => lines }) {
    const words = line.trim();
    if (words === 'exit' || words === 'quit' || words === 'EOF') {
      quit = true;
      break;
    }
    if (words !== '') await runLine(words);
    rl.prompt();
  }
  if (quit) rl.close();
  await closed;
  process.off('SIGINT', interrupt);
  s.io.out('');
  if (tty && historyFile)
    await writeFile(
      historyFile,
      `${history
        .slice(0, 500)
        .map((h) => h.trimEnd())
        .reverse()
        .join('\n')}\n`,
      { mode: 0o600 },
    ).catch(() => {});
  return 0;
}

async function loadHistory(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean).reverse();
  } catch {
    return [];
  }
}
