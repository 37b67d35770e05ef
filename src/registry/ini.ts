// The small part of supervisord's ini format supha needs: sections and their key=value lines.
// Continuation lines and ; # comments are handled as supervisord's parser does.
export interface IniSection {
  name: string;
  values: Record<string, string>;
  line: number;
}

export function parseIni(text: string): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  let lastKey: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*([;#].*)?$/.test(raw)) return;
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header?.[1]) {
      current = { name: header[1].trim(), values: {}, line: i + 1 };
      sections.push(current);
      lastKey = undefined;
      return;
    }
    if (!current) return;
    if (/^\s/.test(raw) && lastKey !== undefined) {
      current.values[lastKey] = `${current.values[lastKey]}\n${raw.trim()}`;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (kv?.[1] !== undefined) {
      lastKey = kv[1].trim().toLowerCase();
      current.values[lastKey] = (kv[2] ?? '').replace(/\s+;.*$/, '').trim();
    }
  });
  return sections;
}
