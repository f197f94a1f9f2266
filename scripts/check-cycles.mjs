#!/usr/bin/env node
// Fails (exit 1) when the modules under src/ import each other in a cycle, naming the cycle.
// Type-only imports count too: a cycle of types is still two modules that cannot be understood
// apart. Relative imports only (packages cannot import us back).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');
const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|tsx)$/.test(e.name) ? [join(dir, e.name)] : []));
const all = files(src);
const known = new Set(all);
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const edges = new Map();
for (const file of all) {
  const text = readFileSync(file, 'utf8');
  const out = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    const base = resolve(dirname(file), spec).replace(/\.js$/, '');
    const target = [`${base}.ts`, `${base}.tsx`].find((f) => known.has(f));
    if (target) out.add(target);
  }
  edges.set(file, out);
}
// Depth-first search with colours; every back edge is a cycle.
const state = new Map();
const stack = [];
const cycles = [];
function visit(file) {
  state.set(file, 1);
  stack.push(file);
  for (const next of edges.get(file) ?? []) {
    if (state.get(next) === 1) cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)));
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of all) if (!state.has(file)) visit(file);
if (cycles.length) {
  process.stderr.write(`import cycles in src/ (${cycles.length}):\n${cycles.map((c) => `  ${c.join(' -> ')}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`no import cycles among ${all.length} modules in src/\n`);
