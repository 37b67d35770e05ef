import { readFile } from 'node:fs/promises';

// What /proc says of a process, and the figure table the benchmarks print.

const CLK_TCK = 100;

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

// User + system CPU seconds the process has used (/proc/PID/stat fields 14 and 15).
export async function procCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

// A "kB" line of /proc/PID/status (VmRSS, VmHWM…).
export async function procStatusKb(pid: number, key: string): Promise<number> {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no ${key} in /proc/${pid}/status`);
  return Number(m[1]);
}

export function table(rows: readonly [string, string, string][]): void {
  const all: [string, string, string][] = [['figure', 'measured', 'goal'], ...rows];
  const w = [0, 1, 2].map((i) => Math.max(...all.map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(w[i] ?? 0)).join(' | ')} |`;
  console.log(line(all[0] ?? []));
  console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
