import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, runBin } from './cli.js';
import type { Supervisord } from './supervisord.js';

export const SUPZCLI_BIN = join(ROOT, 'dist/src/cli/supzcli.js');

export const supzcli = (args: string[], env: Record<string, string> = {}, input?: string) => runBin(SUPZCLI_BIN, args, env, input);

// The real supervisorctl, used only as the oracle tests compare supzcli with.
export function supervisorctl(sv: Supervisord, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('supervisorctl', ['-c', sv.confPath, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: number }).code : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

// What must not change when a command is refused: every process's state and pid, and every file
// under the given folders (recursively) with its content.
export async function snapshot(sv: Supervisord, dirs: string[]): Promise<string> {
  const infos = await sv.client().getAllProcessInfo();
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const names = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const n of names.sort((a, b) => a.name.localeCompare(b.name))) {
      if (n.isDirectory()) await walk(join(d, n.name));
      else files.push(`${d}/${n.name}:${await readFile(join(d, n.name), 'utf8').catch(() => '(unreadable)')}`);
    }
  };
  for (const d of dirs) await walk(d);
  return JSON.stringify({ procs: infos.map((i) => `${i.group}:${i.name}:${i.statename}:${i.pid}`), files });
}

export async function auditLines(stateDir: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(stateDir, 'audit.log'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
