import type { ProcessInfo } from '../supervisor/types.js';

// Tab completion at the prompt, as supervisorctl's complete(): the first word completes to a verb;
// after help, to a verb; after update, to a group; after a verb that takes processes, to a
// process (`name` for a lone program, `group:name` and `group:*` inside a group).
const PROCESS_VERBS = new Set(['clear', 'pid', 'restart', 'signal', 'start', 'status', 'stop', 'tail']);

export function completions(line: string, verbs: readonly string[], infos: () => Promise<ProcessInfo[]>): Promise<[string[], string]> | [string[], string] {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const text = /\s$/.test(line) || line.trim() === '' ? '' : (words.at(-1) ?? '');
  const verbsOf = (): [string[], string] => [verbs.filter((v) => v.startsWith(text)).map((v) => `${v} `), text];
  if (words.length === 0 || (words.length === 1 && text !== '')) return verbsOf();
  const verb = words[0] ?? '';
  if (verb === 'help') return verbsOf();
  if (verb !== 'update' && !PROCESS_VERBS.has(verb)) return [[], text];
  return infos().then(
    (all): [string[], string] => {
      const names: string[] = [];
      for (const i of all) {
        if (verb === 'update') names.push(i.group);
        else if (text.includes(':') || i.name !== i.group) names.push(`${i.group}:${i.name}`, `${i.group}:*`);
        else names.push(i.name);
      }
      return [[...new Set(names)].filter((n) => n.startsWith(text)).map((n) => `${n} `), text];
    },
    // supervisord not answering: nothing to offer (the command itself will say why).
    (): [string[], string] => [[], text],
  );
}
