import { readFile, rm, writeFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { run, splitCommand } from '../util/exec.js';

export interface TestOutcome {
  ok: boolean;
  said: string;
  // 'copy': a copy of the main conf including the candidate was tested, the live file untouched.
  // 'swap': the candidate sat at the live path for the test.
  how: 'copy' | 'swap';
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Runs the test command against a copy of the main conf (the `-c` file of nginx-test-cmd) in
// which the live upstream's include names the candidate instead. Returns undefined when that
// cannot be done (no `-c`, or the main conf does not include the live path literally, once).
export async function testWithCopy(testCmd: string, live: string, candidate: string): Promise<TestOutcome | undefined> {
  const [file, args] = splitCommand(testCmd);
  const ci = args.indexOf('-c');
  const main = ci >= 0 ? args[ci + 1] : undefined;
  if (main === undefined) return undefined;
  const text = await readFile(main, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const re = new RegExp(`(^|[;{}\\s])include\\s+(["']?)${esc(live)}\\2\\s*;`, 'g');
  const hits = text.match(re) ?? [];
  if (hits.length !== 1) return undefined;
  // Beside the main conf, so relative paths in it resolve the same way.
  const copy = `${main}.supha-test`;
  await writeFile(
    copy,
    text.replace(re, (_m, pre: string) => `${pre}include ${candidate};`),
  );
  try {
    const testArgs = [...args];
    testArgs[ci + 1] = copy;
    const r = await run(file, testArgs, { reject: false, timeoutMs: 30_000 }).catch((err: unknown) => ({
      exitCode: -1,
      stderr: errorMessage(err),
      stdout: '',
    }));
    return { ok: r.exitCode === 0, said: (r.stderr || r.stdout).replaceAll(copy, main), how: 'copy' };
  } finally {
    await rm(copy, { force: true });
  }
}
