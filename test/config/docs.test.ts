import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';

const DOC = join(import.meta.dirname, '../../../docs/configuration.md');

// Every leaf key the schema accepts, as a dotted path (a record's key is `<>`), with its default
// when the schema has a plain one.
function schemaKeys(schema: z.ZodType, path: string, out: Map<string, unknown>, dflt?: unknown): void {
  const def = schema.def as unknown as Record<string, any>;
  const t = def.type as string;
  if (t === 'optional' || t === 'nullable' || t === 'prefault') schemaKeys(def.innerType, path, out, dflt);
  else if (t === 'default') schemaKeys(def.innerType, path, out, dflt ?? def.defaultValue);
  else if (t === 'pipe') schemaKeys(def.in, path, out, dflt);
  else if (t === 'object') for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) schemaKeys(v, path ? `${path}.${k}` : k, out);
  else if (t === 'record') schemaKeys(def.valueType, `${path}.<>`, out);
  else out.set(path, dflt);
}

// The page's tables: a heading's first code span is the prefix of the keys in the first column of
// the table below it (every code span there is a key); "Top level" has none.
function docRows(text: string): { keys: string[]; dflt: string }[] {
  const rows: { keys: string[]; dflt: string }[] = [];
  let prefix: string | undefined;
  for (const line of text.split('\n')) {
    const h = /^#{2,3} (.*)$/.exec(line);
    if (h) {
      prefix = /`([^`]+)`/.exec(h[1] ?? '')?.[1] ?? (h[1] === 'Top level' ? '' : undefined);
      continue;
    }
    if (prefix === undefined || !line.startsWith('| `')) continue;
    const [, keyCell = '', dflt = ''] = line.split('|').map((c) => c.trim());
    const keys = [...keyCell.matchAll(/`([^`]+)`/g)].map((m) => (prefix ? `${prefix}.${m[1]}` : (m[1] ?? '')).replace(/<[^>]+>/g, '<>'));
    rows.push({ keys, dflt });
  }
  return rows;
}

test('docs/configuration.md names every key the schema accepts, no other, with the schema defaults', () => {
  const schema = new Map<string, unknown>();
  schemaKeys(configSchema, '', schema);
  assert.ok(schema.size > 50, `walked ${schema.size} keys`);
  assert.ok(schema.has('ha.service-sets.<>.vrrp-instance') && schema.has('ha.quorum.tls.ca-file'), 'records and nested objects are walked');
  const rows = docRows(readFileSync(DOC, 'utf8'));
  const documented = rows.flatMap((r) => r.keys);
  assert.deepEqual(
    [...schema.keys()].filter((k) => !documented.includes(k)),
    [],
    'keys the schema accepts that docs/configuration.md does not name',
  );
  assert.deepEqual(
    documented.filter((k) => !schema.has(k)),
    [],
    'keys docs/configuration.md names that the schema does not accept',
  );
  assert.deepEqual(
    documented.filter((k, i) => documented.indexOf(k) !== i),
    [],
    'keys documented twice',
  );
  // A plain default (number, string, boolean) is what its row's default column shows first.
  const wrong: string[] = [];
  for (const r of rows) {
    // A row of several keys lists their defaults in the same order, comma-separated.
    const cells = r.keys.length > 1 ? r.dflt.split(',') : [r.dflt];
    for (const [i, k] of r.keys.entries()) {
      const d = schema.get(k);
      const cell = cells[i] ?? '';
      // The cell's first code span, or its first word: the whole value, not a substring of it.
      const shown = (/`([^`]*)`/.exec(cell)?.[1] ?? cell.trim().split(/\s+/)[0] ?? '').replace(/^"(.*)"$/, '$1');
      if (['number', 'string', 'boolean'].includes(typeof d) && shown !== String(d)) wrong.push(`${k}: schema ${String(d)}, doc "${r.dflt}"`);
    }
  }
  assert.deepEqual(wrong, [], 'defaults that differ from the schema');
});
