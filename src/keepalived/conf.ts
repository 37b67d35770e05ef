import { readFile } from 'node:fs/promises';
import { run } from '../util/exec.js';

// One keepalived.conf block: `name args… { children }`, or a plain line (no children).
export interface KaBlock {
  name: string;
  args: string[];
  children: KaBlock[];
}

// keepalived.conf as nested blocks, for reading names and paths out of it. `!` and `#` start
// comments, `{` `}` nest. Whether the file is valid is keepalived's to say (checkKeepalivedConf).
export function parseKeepalivedConf(text: string): KaBlock[] {
  const root: KaBlock = { name: '', args: [], children: [] };
  const stack = [root];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[!#].*$/, '').trim();
    for (const part of line.split(/(?<=\{)|(?=\})/)) {
      const words = part.trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) continue;
      const parent = stack[stack.length - 1] as KaBlock;
      if (words[0] === '}') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const opens = words[words.length - 1] === '{';
      const w = opens ? words.slice(0, -1) : words;
      const b: KaBlock = { name: w[0] ?? '', args: w.slice(1).map((a) => a.replace(/^"|"$/g, '')), children: [] };
      parent.children.push(b);
      if (opens) stack.push(b);
    }
  }
  return root.children;
}

export function kaChild(b: KaBlock, name: string): KaBlock | undefined {
  return b.children.find((c) => c.name === name);
}

export async function readKeepalivedConf(path: string): Promise<KaBlock[]> {
  return parseKeepalivedConf(await readFile(path, 'utf8'));
}

// keepalived's own verdict on a config file (`keepalived --config-test`): undefined when valid,
// else what it said.
export async function checkKeepalivedConf(path: string, logFile: string): Promise<string | undefined> {
  const res = await run('keepalived', [`--config-test=${logFile}`, '-f', path], { timeoutMs: 15_000, reject: false });
  if (res.exitCode === 0) return undefined;
  const said = await readFile(logFile, 'utf8').catch(() => '');
  return `exit ${res.exitCode}: ${(said || res.stderr).trim().split('\n').slice(-3).join(' | ') || 'no message'}`;
}
