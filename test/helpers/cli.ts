import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../../..');
export const SUPHA_BIN = join(ROOT, 'dist/src/cli/supha.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Runs a compiled bin as a user would, with its own environment.
export function runBin(bin: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export const supha = (args: string[], env: Record<string, string> = {}) => runBin(SUPHA_BIN, args, env);
