// Nginx's config syntax, as its own parser reads it (ngx_conf_read_token): words separated by
// spaces, `;`, `{` and `}`; `#` starts a comment outside quotes; '…' and "…" quote, `\` escapes.

export interface Directive {
  name: string;
  args: string[];
  // Nesting depth in its file: 0 = main context.
  depth: number;
  // Offsets of the directive in the text, from its name to its `;` or `{` included.
  start: number;
  end: number;
}

// Every directive of a config text, in order (block directives end at their `{`).
export function directives(text: string): Directive[] {
  const out: Directive[] = [];
  let words: string[] = [];
  let start = -1;
  let depth = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === ';' || c === '{' || c === '}') {
      if (words.length > 0) out.push({ name: words[0] as string, args: words.slice(1), depth, start, end: i + 1 });
      words = [];
      if (c === '{') depth++;
      if (c === '}') depth = Math.max(0, depth - 1);
      i++;
    } else {
      if (words.length === 0) start = i;
      let word = '';
      const quote = c === '"' || c === "'" ? c : undefined;
      if (quote) i++;
      while (i < n) {
        const d = text[i] as string;
        if (quote ? d === quote : /[\s;{}]/.test(d) || (d === '#' && word === '')) break;
        if (d === '\\' && i + 1 < n) {
          const e = text[i + 1] as string;
          word += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '"' || e === "'" || e === '\\' ? e : `\\${e}`;
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      if (quote) i++;
      words.push(word);
    }
  }
  return out;
}
