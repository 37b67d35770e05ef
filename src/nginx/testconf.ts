import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { run, splitCommand } from '../util/exec.js';
import { directives } from './conftext.js';

export interface TestOutcome {
  ok: boolean;
  said: string;
  // 'copy': a copy of the main conf including the candidate was tested, the live file untouched.
  // 'swap': the candidate sat at the live path for the test.
  how: 'copy' | 'swap';
}

// The main conf nginx-test-cmd tests: its `-c`, else the first file `nginx -T` names (a wrapper
// script's own -c), else the binary's built-in --conf-path (`nginx -V`; relative to -p or --prefix).
async function mainConf(file: string, args: string[]): Promise<string | undefined> {
  const ci = args.indexOf('-c');
  if (ci >= 0) return args[ci + 1];
  if (args.includes('-t')) {
    const t = await run(
      file,
      args.map((a) => (a === '-t' ? '-T' : a)),
      { reject: false, timeoutMs: 30_000 },
    ).catch(() => undefined);
    const first = /^# configuration file (.+):$/m.exec(t?.stdout ?? '')?.[1];
    if (first !== undefined) return first;
  }
  const v = await run(file, ['-V'], { reject: false, timeoutMs: 10_000 }).catch(() => undefined);
  const said = `${v?.stderr ?? ''} ${v?.stdout ?? ''}`;
  const conf = /--conf-path=(\S+)/.exec(said)?.[1];
  if (conf === undefined || isAbsolute(conf)) return conf;
  const pi = args.indexOf('-p');
  const prefix = pi >= 0 ? args[pi + 1] : /--prefix=(\S+)/.exec(said)?.[1];
  return prefix === undefined ? undefined : join(prefix, conf);
}

// nginx's glob(3) pattern (in one path component) as a RegExp; `*` does not match a leading dot.
function globRe(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replaceAll('*', '[^/]*')
    .replaceAll('?', '[^/]');
  return new RegExp(`^(?!\\.)${body}$`);
}

// The main conf with the include that brings in `live` rewritten to bring in `candidate` instead:
// `include live;` names the candidate; `include dir/*.conf;` becomes the files it matches now, in
// glob(3) order, with the candidate in the live file's place. Undefined unless exactly one include
// (wildcards in the file name only) matches the live path.
async function rewritten(text: string, main: string, live: string, candidate: string): Promise<string | undefined> {
  const base = dirname(main);
  const hits: { start: number; end: number; files: string[] }[] = [];
  for (const d of directives(text)) {
    if (d.name !== 'include' || d.args.length !== 1) continue;
    const pattern = resolve(base, d.args[0] as string);
    if (pattern === live) {
      hits.push({ start: d.start, end: d.end, files: [candidate] });
      continue;
    }
    if (!/[*?[]/.test(pattern) || /[*?[]/.test(dirname(pattern)) || dirname(pattern) !== dirname(live)) continue;
    const re = globRe(basename(pattern));
    if (!re.test(basename(live))) continue;
    const names = (await readdir(dirname(live)).catch(() => [] as string[])).filter((n) => re.test(n));
    const all = [...new Set([...names, basename(live)])].filter((n) => join(dirname(live), n) !== candidate).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    hits.push({ start: d.start, end: d.end, files: all.map((n) => (n === basename(live) ? candidate : join(dirname(live), n))) });
  }
  if (hits.length !== 1) return undefined;
  const h = hits[0] as { start: number; end: number; files: string[] };
  return text.slice(0, h.start) + h.files.map((f) => `include ${JSON.stringify(f)};`).join(' ') + text.slice(h.end);
}

// Runs the test command against a copy of the main conf in which the live upstream's include
// names the candidate instead (see rewritten): the live file is never touched. Returns undefined
// when that cannot be done (main conf unknown, or no single include of the live path in it).
export async function testWithCopy(testCmd: string, live: string, candidate: string): Promise<TestOutcome | undefined> {
  const [file, args] = splitCommand(testCmd);
  const main = await mainConf(file, args);
  if (main === undefined) return undefined;
  const text = await readFile(main, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const changed = await rewritten(text, main, live, candidate);
  if (changed === undefined) return undefined;
  // Beside the main conf, so relative paths in it resolve the same way.
  const copy = `${main}.supha-test`;
  await writeFile(copy, changed);
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
