#!/usr/bin/env node
// Import cycles among the TypeScript files under the given folders (type-only imports count:
// they tie the files together just the same). Prints each cycle once; exits 1 when there is one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src'];
const files = [];
const walk = (d) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.ts$/.test(n) && !n.endsWith('.d.ts')) files.push(resolve(p));
  }
};
for (const r of roots) walk(r);
const known = new Set(files);

const edges = new Map();
for (const f of files) {
  const info = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
  const out = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const target = resolve(dirname(f), fileName.replace(/\.js$/, '.ts'));
    if (known.has(target)) out.push(target);
  }
  edges.set(f, out);
}

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const on = new Set();
const cycles = [];
const visit = (v) => {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    for (let w = stack.pop(); ; w = stack.pop()) {
      on.delete(w);
      comp.push(w);
      if (w === v) break;
    }
    if (comp.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(comp);
  }
};
for (const f of files) if (!idx.has(f)) visit(f);
for (const c of cycles) console.log(`import cycle: ${c.map((f) => relative(process.cwd(), f)).sort().join(' <-> ')}`);
if (cycles.length > 0) process.exit(1);
console.log(`no import cycles in ${files.length} files`);
