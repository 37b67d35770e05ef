import { UserError } from '../errors.js';

// supervisord 4.2.5's reading of a conf: Python 3's configparser.RawConfigParser with the
// arguments supervisord's UnhosedConfigParser gives it (supervisor/options.py:
// inline_comment_prefixes=(';', '#'), strict=False). Mirrored line for line from
// configparser._read (Python 3.11), so what this returns is what supervisord sees.
export interface IniSection {
  name: string;
  // Option names lower-cased (optionxform); [DEFAULT] values of the same file filled in.
  values: Record<string, string>;
  // The line of the section's first header.
  line: number;
}

// A file supervisord refuses to load (it refuses the whole config with it).
export class IniError extends UserError {
  override name = 'IniError';
}

// Python's whitespace (str.isspace, re's \s): not JS's \s, which has U+FEFF and lacks U+001C-1F
// and U+0085. A BOM is therefore data, as for supervisord (it then refuses the file).
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const IS_WS = new RegExp(`^[${WS}]$`);
const TRIM = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');
const TRIM_END = new RegExp(`[${WS}]+$`);
const NONSPACE = new RegExp(`[^${WS}]`);
// Python's str.strip().
export const strip = (s: string): string => s.replace(TRIM, '');
// `s`: Python's `.` stops only at \n, which a line never holds; JS's also stops at \r, U+2028/9.
const SECTCRE = /^\[(.+)\]/s;
const OPTCRE = new RegExp(`^(.*?)[${WS}]*([=:])[${WS}]*(.*)$`, 's');
const INLINE = [';', '#'];
const FULL_LINE = ['#', ';'];

// Where configparser's inline comment starts (a prefix at 0 or after whitespace), else -1. Its
// odd search order (one occurrence of each prefix per round) is kept on purpose.
function commentStart(line: string): number {
  let start = Number.POSITIVE_INFINITY;
  let at = new Map(INLINE.map((p) => [p, -1]));
  while (start === Number.POSITIVE_INFINITY && at.size > 0) {
    const next = new Map<string, number>();
    for (const [prefix, from] of at) {
      const i = line.indexOf(prefix, from + 1);
      if (i === -1) continue;
      next.set(prefix, i);
      if (i === 0 || IS_WS.test(line[i - 1] ?? '')) start = Math.min(start, i);
    }
    at = next;
  }
  const trimmed = strip(line);
  if (FULL_LINE.some((p) => trimmed.startsWith(p))) return 0;
  return start === Number.POSITIVE_INFINITY ? -1 : start;
}

export function parseIni(text: string, file = '<string>'): IniSection[] {
  const sections = new Map<string, { line: number; values: Map<string, string[]> }>();
  const defaults = new Map<string, string[]>();
  let cur: Map<string, string[]> | undefined;
  let opt: string | undefined;
  let indent = 0;
  // Python's text mode reads \n, \r\n and \r as line ends.
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    const cut = commentStart(line);
    const value = strip(cut === -1 ? line : line.slice(0, cut));
    if (!value) {
      if (cut === -1 && cur && opt !== undefined) cur.get(opt)?.push('');
      return;
    }
    const lead = NONSPACE.exec(line)?.index ?? 0;
    if (cur && opt !== undefined && lead > indent) {
      cur.get(opt)?.push(value);
      return;
    }
    indent = lead;
    const header = SECTCRE.exec(value);
    if (header?.[1] !== undefined) {
      const name = header[1];
      if (name === 'DEFAULT') cur = defaults;
      else {
        const s = sections.get(name) ?? { line: lineNo, values: new Map<string, string[]>() };
        sections.set(name, s);
        cur = s.values;
      }
      opt = undefined;
      return;
    }
    if (!cur) throw new IniError(`${file}:${lineNo}: no [section] header before ${JSON.stringify(line)}`);
    const kv = OPTCRE.exec(value);
    if (!kv?.[1]) throw new IniError(`${file}:${lineNo}: not a key=value line: ${JSON.stringify(line)}`);
    opt = kv[1].replace(TRIM_END, '').toLowerCase();
    cur.set(opt, [strip(kv[3] ?? '')]);
  });
  const join = (v: string[]) => v.join('\n').replace(TRIM_END, '');
  return [...sections].map(([name, s]) => {
    const values: Record<string, string> = Object.create(null);
    for (const [k, v] of defaults) values[k] = join(v);
    for (const [k, v] of s.values) values[k] = join(v);
    return { name, values, line: s.line };
  });
}
