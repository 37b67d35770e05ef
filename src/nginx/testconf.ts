import { readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
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

// The main conf nginx-test-cmd tests: its `-c`, else the binary's built-in --conf-path
// (`nginx -V`; relative to -p or --prefix).
async function mainConf(file: string, args: string[]): Promise<string | undefined> {
  const ci = args.indexOf('-c');
  if (ci >= 0) return args[ci + 1];
  const v = await run(file, ['-V'], { reject: false, timeoutMs: 10_000 }).catch(() => undefined);
  const said = `${v?.stderr ?? ''} ${v?.stdout ?? ''}`;
  const conf = /--conf-path=(\S+)/.exec(said)?.[1];
  if (conf === undefined || isAbsolute(conf)) return conf;
  const pi = args.indexOf('-p');
  const prefix = pi >= 0 ? args[pi + 1] : /--prefix=(\S+)/.exec(said)?.[1];
  return prefix === undefined ? undefined : join(prefix, conf);
}

// Runs the test command against a copy of the main conf in which the live upstream's include
// names the candidate instead. Returns undefined when that cannot be done (main conf unknown,
// or it does not include the live path literally, once).
export async function testWithCopy(testCmd: string, live: string, candidate: string): Promise<TestOutcome | undefined> {
  const [file, args] = splitCommand(testCmd);
  const main = await mainConf(file, args);
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
    const ci = args.indexOf('-c');
    const testArgs = ci >= 0 ? args.map((a, i) => (i === ci + 1 ? copy : a)) : [...args, '-c', copy];
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
