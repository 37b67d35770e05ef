import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { filesUnder } from '../chaos/observe.js';

// Files a kill or a failed write must not leave behind in a state dir: a *.json that does not
// parse (torn), a track file that is not 0 or 1, a temp file of the atomic writer (src/util/atomic.ts).
export async function tornFiles(dir: string): Promise<string[]> {
  const bad: string[] = [];
  for (const f of await filesUnder(dir)) {
    const name = f.slice(f.lastIndexOf('/') + 1);
    if (/^\..*\.tmp$/.test(name)) bad.push(`${f}: temp file left`);
    else if (name.endsWith('.json')) {
      const text = await readFile(f, 'utf8').catch(() => '');
      try {
        JSON.parse(text);
      } catch {
        bad.push(`${f}: does not parse: ${text.slice(0, 80)}`);
      }
    } else if (f.includes('/track/') && !/^[01]\n?$/.test(await readFile(f, 'utf8').catch(() => '?'))) bad.push(`${f}: not 0 or 1`);
  }
  return bad;
}

// A process's children and their children (from /proc), to kill what a killed daemon started,
// as systemd's control-group kill would.
export async function descendants(pid: number): Promise<{ pid: number; cmd: string }[]> {
  const byParent = new Map<number, number[]>();
  for (const e of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(join('/proc', e, 'stat'), 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(e)]);
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = async (p: number) => {
    for (const c of byParent.get(p) ?? []) {
      const cmd = (await readFile(`/proc/${c}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim();
      out.push({ pid: c, cmd });
      await walk(c);
    }
  };
  await walk(pid);
  return out;
}
